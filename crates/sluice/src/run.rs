//! `sluice run` and `sluice validate`.

use crate::cli::{RunArgs, ValidateArgs};
use sluice_config::{
    load_files, load_str, ConfigErrors, Pipeline, DEFAULT_CONFIG, DEFAULT_CONFIG_NAME,
};
use sluice_core::Telemetry;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const EXIT_CONFIG: u8 = 1;
const EXIT_RUNTIME: u8 = 2;

fn print_config_errors(e: &ConfigErrors) {
    if crate::cli::json_logs() {
        // One JSON log line per problem, with file, component and key as fields.
        for err in &e.0 {
            tracing::error!(
                file = %err.file,
                component = %err.component,
                key = %err.key,
                problem = %err.message,
                "Invalid configuration."
            );
        }
        return;
    }
    eprintln!("sluice: configuration has {} problem(s):", e.0.len());
    for err in &e.0 {
        eprintln!("  {err}");
    }
}

pub fn validate(args: ValidateArgs) -> ExitCode {
    match load_files(&args.config) {
        Ok(p) => {
            println!(
                "{}: valid ({} sources, {} transforms, {} sinks)",
                p.files.join(", "),
                p.sources.len(),
                p.transforms.len(),
                p.sinks.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            print_config_errors(&e);
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

pub fn run(args: RunArgs) -> ExitCode {
    let embedded = args.config.is_empty();
    if args.watch_config && embedded {
        eprintln!(
            "sluice: --watch-config needs --config FILE: the embedded default has no file to watch"
        );
        return ExitCode::from(EXIT_CONFIG);
    }
    let loaded = if embedded {
        load_str(DEFAULT_CONFIG_NAME, DEFAULT_CONFIG)
    } else {
        load_files(&args.config)
    };
    let mut pipeline = match loaded {
        Ok(p) => p,
        Err(e) => {
            print_config_errors(&e);
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if let Some(d) = args.data_dir.clone() {
        pipeline.data_dir = d;
    }
    if let Err(e) = std::fs::create_dir_all(&pipeline.data_dir) {
        eprintln!(
            "sluice: cannot create data_dir {}: {e}",
            pipeline.data_dir.display()
        );
        return ExitCode::from(EXIT_RUNTIME);
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("sluice")
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("sluice: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_RUNTIME);
        }
    };
    let reload = Reload {
        paths: args.config.clone(),
        data_dir: args.data_dir.clone(),
        watch: args.watch_config,
    };
    rt.block_on(serve(pipeline, embedded, reload))
}

/// Where a reload reads the configuration from.
struct Reload {
    paths: Vec<std::path::PathBuf>,
    data_dir: Option<std::path::PathBuf>,
    watch: bool,
}

impl Reload {
    /// The modification times of the config files (and of the files in a config
    /// directory), to notice a change.
    fn stamps(&self) -> Vec<Option<std::time::SystemTime>> {
        let mut out = Vec::new();
        for p in &self.paths {
            let mtime = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
            out.push(mtime(p));
            if let Ok(rd) = std::fs::read_dir(p) {
                let mut files: Vec<_> = rd.flatten().map(|e| e.path()).collect();
                files.sort();
                out.extend(files.iter().map(|f| mtime(f)));
            }
        }
        out
    }

    /// Reads the configuration again and replaces the running pipeline with it; an
    /// invalid one is logged, every error, and the running pipeline is left as it is.
    async fn apply(
        &self,
        running: &mut sluice_runtime::Running,
        telemetry: &Telemetry,
        data_dir: &std::path::Path,
    ) {
        if self.paths.is_empty() {
            tracing::warn!(
                "Reload asked, but the embedded default config has no file to read again."
            );
            return;
        }
        let mut p = match load_files(&self.paths) {
            Ok(p) => p,
            Err(e) => {
                for err in &e.0 {
                    tracing::error!(file = %err.file, component = %err.component, key = %err.key, problem = %err.message, "Reload refused: invalid configuration.");
                }
                tracing::error!(
                    problems = e.0.len(),
                    "Reload refused; the running pipeline is unchanged."
                );
                telemetry.config_reload("error");
                return;
            }
        };
        if let Some(d) = &self.data_dir {
            p.data_dir = d.clone();
        }
        if p.data_dir != data_dir {
            tracing::warn!(running = %data_dir.display(), configured = %p.data_dir.display(), "data_dir changed: it takes effect at the next start; this reload keeps the running one.");
            p.data_dir = data_dir.to_owned();
        }
        match running.reload(&p, telemetry, p.shutdown_grace).await {
            Ok(sum) => {
                telemetry.config_reload("ok");
                tracing::info!(kept = ?sum.kept, stopped = ?sum.stopped, started = ?sum.started, kept_sinks = ?sum.kept_sinks, "Configuration reloaded: unchanged sources kept their connections and unchanged sinks kept running; the rest was rebuilt.");
            }
            Err(e) => {
                telemetry.config_reload("error");
                tracing::error!(error = %e, "Reload refused; the running pipeline is unchanged.");
            }
        }
    }
}

async fn serve(pipeline: Pipeline, embedded: bool, reload: Reload) -> ExitCode {
    // Installed first: from here on a SIGHUP (logrotate, a Logstash habit) is caught and
    // logged instead of ending the process.
    let signals = match Signals::new() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sluice: cannot install signal handlers: {e}");
            return ExitCode::from(EXIT_RUNTIME);
        }
    };
    let telemetry = Telemetry::new();
    let bound = match sluice_runtime::bind_sources(&pipeline, None) {
        Ok(b) => b,
        Err(e)
            if embedded
                && e.address.port() == 514
                && e.error.kind() == std::io::ErrorKind::PermissionDenied =>
        {
            tracing::warn!(
                "Cannot bind port 514 without privileges; the embedded default config falls back to port 5514. \
                 Point senders at 5514, or grant the capability: sudo setcap cap_net_bind_service=+ep $(which sluice)"
            );
            match sluice_runtime::bind_sources(&pipeline, Some((514, 5514))) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("sluice: {e}");
                    return ExitCode::from(EXIT_RUNTIME);
                }
            }
        }
        Err(e) => {
            eprintln!("sluice: {e}");
            return ExitCode::from(EXIT_RUNTIME);
        }
    };
    let admin_listener = if pipeline.admin.enabled {
        match tokio::net::TcpListener::bind(pipeline.admin.address).await {
            Ok(l) => Some(l),
            Err(e) => {
                eprintln!(
                    "sluice: [admin] cannot listen on {}: {e} (set [admin] address to a free port, or enabled = false)",
                    pipeline.admin.address
                );
                return ExitCode::from(EXIT_RUNTIME);
            }
        }
    } else {
        None
    };

    let mut running = sluice_runtime::start(&pipeline, bound, &telemetry);
    for c in &running.component_list() {
        if let Some(a) = c.address {
            tracing::info!(component = %c.id, address = %a, "Listening.");
        }
    }
    let ready = Arc::new(AtomicBool::new(true));
    let admin_stop = tokio_util::sync::CancellationToken::new();
    let admin_task = admin_listener.map(|l| {
        if let Ok(a) = l.local_addr() {
            tracing::info!(address = %a, "Admin endpoint listening (/metrics, /health, /ready, /api/components).");
        }
        tokio::spawn(crate::admin::serve(
            l,
            crate::admin::AdminState { telemetry: telemetry.clone(), components: running.components.clone(), ready: ready.clone() },
            admin_stop.clone(),
        ))
    });
    tracing::info!(
        sources = pipeline.sources.len(),
        transforms = pipeline.transforms.len(),
        sinks = pipeline.sinks.len(),
        "sluice started."
    );

    signals
        .wait_for_shutdown(&mut running, &reload, &telemetry, &pipeline.data_dir)
        .await;
    tracing::info!(grace = ?pipeline.shutdown_grace, "Shutting down: draining sources, flushing sinks.");
    ready.store(false, Ordering::SeqCst);
    running.shutdown();
    let code = match tokio::time::timeout(pipeline.shutdown_grace, running.wait()).await {
        Ok(()) => {
            tracing::info!("Shutdown complete.");
            ExitCode::SUCCESS
        }
        Err(_) => {
            tracing::error!("Shutdown grace period exceeded; events still in flight may be lost.");
            ExitCode::from(EXIT_RUNTIME)
        }
    };
    admin_stop.cancel();
    if let Some(t) = admin_task {
        let _ = t.await;
    }
    code
}

/// The signals `sluice run` handles: TERM and INT shut down gracefully; HUP reopens the
/// file sinks' files (logrotate's `postrotate`) and is logged; it never ends the process.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// Returns on SIGTERM or SIGINT. SIGHUP reopens the file sinks' files and reloads
    /// the configuration; with `--watch-config`, a change to a config file reloads it too.
    async fn wait_for_shutdown(
        mut self,
        running: &mut sluice_runtime::Running,
        reload: &Reload,
        telemetry: &Telemetry,
        data_dir: &std::path::Path,
    ) {
        let mut seen = reload.stamps();
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = self.term.recv() => return,
                _ = self.int.recv() => return,
                _ = running.sources_finished() => {
                    tracing::info!("Every source has reached the end of its input.");
                    return;
                }
                _ = self.hup.recv() => {
                    running.reopen_files();
                    tracing::info!("SIGHUP: file sinks reopen their files by name; reloading the configuration.");
                    reload.apply(running, telemetry, data_dir).await;
                    seen = reload.stamps();
                }
                _ = tick.tick(), if reload.watch => {
                    let now = reload.stamps();
                    if now != seen {
                        seen = now;
                        tracing::info!("A config file changed (--watch-config): reloading.");
                        reload.apply(running, telemetry, data_dir).await;
                    }
                }
            }
        }
    }
}
