#!/usr/bin/perl
# Writes a small GeoIP2-City (or, with "asn", GeoLite2-ASN) database with MaxMind's own
# writer (Debian's libmaxmind-db-writer-perl), for the geoip filter's tests: sluice
# ships no MaxMind database. Usage: make_geoip_db.pl OUT.mmdb [city|asn]
use strict; use warnings;
use MaxMind::DB::Writer::Tree;
my %types = (
    city => 'map', continent => 'map', country => 'map', location => 'map', postal => 'map',
    subdivisions => ['array', 'map'], names => 'map', en => 'utf8_string', de => 'utf8_string',
    code => 'utf8_string', iso_code => 'utf8_string', geoname_id => 'uint32',
    latitude => 'double', longitude => 'double', time_zone => 'utf8_string',
    accuracy_radius => 'uint16',
);
my $kind = $ARGV[1] // 'city';
$types{autonomous_system_number} = 'uint32';
$types{autonomous_system_organization} = 'utf8_string';
my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version => 6, record_size => 24,
    database_type => $kind eq 'asn' ? 'GeoLite2-ASN' : 'GeoIP2-City',
    languages => ['en'], description => { en => 'sluice test' },
    map_key_type_callback => sub { $types{ $_[0] } },
);
if ($kind eq 'asn') {
    $tree->insert_network('81.2.69.0/24', { autonomous_system_number => 20712, autonomous_system_organization => 'Andrews & Arnold Ltd' });
} else {
$tree->insert_network('81.2.69.0/24', {
    city => { names => { en => 'London' }, geoname_id => 2643743 },
    continent => { code => 'EU', names => { en => 'Europe' } },
    country => { iso_code => 'GB', names => { en => 'United Kingdom' } },
    location => { latitude => 51.5142, longitude => -0.0931, time_zone => 'Europe/London', accuracy_radius => 10 },
    postal => { code => 'EC4' },
    subdivisions => [ { iso_code => 'ENG', names => { en => 'England' } } ],
});
}
open my $fh, '>:raw', $ARGV[0] or die;
$tree->write_tree($fh);
