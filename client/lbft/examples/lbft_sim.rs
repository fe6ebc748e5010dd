//! Runs the adversarial LBFT simulator from the command line:
//!
//!   cargo run --release -p cpchain-lbft --example lbft_sim -- --schedules 1000000 --seed 0
//!
//! A failing seed is printed; `--seed S --schedules 1` replays it exactly.

#[path = "../tests/sim/mod.rs"]
mod sim;

fn main() {
    let mut schedules = 10_000u64;
    let mut seed = 0u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = |args: &mut dyn Iterator<Item = String>| -> u64 {
            args.next()
                .and_then(|v| v.replace('_', "").parse().ok())
                .unwrap_or_else(|| {
                    eprintln!("{arg} needs a number");
                    std::process::exit(2)
                })
        };
        match arg.as_str() {
            "--schedules" => schedules = value(&mut args),
            "--seed" => seed = value(&mut args),
            "-h" | "--help" => {
                println!("lbft_sim [--schedules N] [--seed S]");
                return;
            }
            other => {
                eprintln!("unknown argument {other}; try --help");
                std::process::exit(2);
            }
        }
    }
    let started = std::time::Instant::now();
    let chunk = 10_000;
    let mut total = sim::Stats::default();
    let mut next = seed;
    while next < seed + schedules {
        let count = chunk.min(seed + schedules - next);
        match sim::run_schedules(next, count) {
            Ok(stats) => total += stats,
            Err(v) => {
                println!(
                    "VIOLATION: seed {} at {} ms: {}\nreplay: --seed {} --schedules 1",
                    v.seed, v.at_ms, v.what, v.seed
                );
                std::process::exit(1);
            }
        }
        next += count;
        eprintln!("{} schedules, {:?}", next - seed, started.elapsed());
    }
    println!(
        "{schedules} schedules from seed {seed}: no violation in {:?}\n{total:#?}",
        started.elapsed()
    );
}
