//! The transform types of the config language (★ `type = "..."`): one line each.
//!
//! The loader decodes `{ <type> = <the component's other keys> }` into
//! [`TransformConfig`], so serde picks the module by its type name and reports an unknown
//! one with the list of known ones, and the path of every error inside a component stays
//! exact.

use crate::Transform;
use std::sync::Arc;

fn into_dyn<T: Transform + 'static>(t: T) -> Arc<dyn Transform> {
    Arc::new(t)
}

sluice_core::registry! {
    /// A transform's config, by type.
    pub enum TransformConfig -> Arc<dyn Transform>, wrap = into_dyn;
    "grok" => Grok(crate::grok::Config),
    "date" => Date(crate::date::Config),
    "dissect" => Dissect(crate::dissect::Config),
    "json" => Json(crate::json::Config),
    "kv" => Kv(crate::kv::Config),
    "mutate" => Mutate(crate::mutate::Config),
    "redact" => Redact(crate::redact::Config),
    "route" => Route(crate::route::Config),
    "filter" => Filter(crate::filter::FilterConfig),
    "drop" => Drop(crate::filter::DropConfig),
    "clone" => Clone(crate::clone::Config),
    "syslog_pri" => SyslogPri(crate::syslog_pri::Config),
    "fingerprint" => Fingerprint(crate::fingerprint::Config),
    "csv" => Csv(crate::csv::Config),
    "cidr" => Cidr(crate::cidr::Config),
    "translate" => Translate(crate::translate::Config),
    "useragent" => Useragent(crate::useragent::Config),
    "geoip" => Geoip(crate::geoip::Config),
    "split" => Split(crate::split::Config),
    "prune" => Prune(crate::prune::Config),
    "alert" => Alert(crate::alert::Config),
    "template" => Template(crate::template::Config),
    "anomaly" => Anomaly(crate::anomaly::Config),
}
