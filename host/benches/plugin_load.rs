//! In-process timings of the plugin runtime (run with `cargo bench -p spacesmith --bench plugin_load`
//! or `benches/run`): engine start, first load (compile), cached load (deserialize + link +
//! instantiate + `info`), and a whole `scaffold` call. Medians over many iterations.

use std::time::{Duration, Instant};

use spacesmith::registry::BUILTIN_PLUGINS;
use spacesmith_runtime::{OptionValue, PluginSource, Runtime, RuntimeConfig, ScaffoldInput};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let cache = tempfile::tempdir().unwrap();
    let config = || RuntimeConfig { cache_dir: Some(cache.path().to_path_buf()), ..Default::default() };
    let source = |sdk: &str, bytes: &'static [u8]| PluginSource::new(sdk, bytes);

    let engine: Vec<Duration> = (0..20)
        .map(|_| {
            let t = Instant::now();
            let _ = Runtime::new(RuntimeConfig::default()).unwrap();
            t.elapsed()
        })
        .collect();
    println!("{:<44} {:>12}", "engine + linker start", ms(median(engine)));

    for (sdk, bytes) in BUILTIN_PLUGINS {
        let rt = Runtime::new(config()).unwrap();
        let t = Instant::now();
        rt.load(source(sdk, bytes)).unwrap();
        println!("{:<44} {:>12}", format!("{sdk}: first load (compile + cache write)"), ms(t.elapsed()));

        let cached: Vec<Duration> = (0..50)
            .map(|_| {
                let rt = Runtime::new(config()).unwrap();
                let t = Instant::now();
                rt.load(source(sdk, bytes)).unwrap();
                t.elapsed()
            })
            .collect();
        println!("{:<44} {:>12}", format!("{sdk}: cached load (deserialize+instantiate)"), ms(median(cached)));

        let plugin = rt.load(source(sdk, bytes)).unwrap();
        let input = ScaffoldInput {
            project_name: "bench-space".into(),
            title: "Bench Space".into(),
            api: false,
            options: plugin
                .info()
                .options
                .iter()
                .filter_map(|o| o.default.clone().map(|d: OptionValue| (o.name.clone(), d)))
                .collect(),
        };
        let scaffold: Vec<Duration> = (0..50)
            .map(|_| {
                let t = Instant::now();
                plugin.scaffold(&input).unwrap();
                t.elapsed()
            })
            .collect();
        println!("{:<44} {:>12}", format!("{sdk}: scaffold call (render all files)"), ms(median(scaffold)));
    }
}
