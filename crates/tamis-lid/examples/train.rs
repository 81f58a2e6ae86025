//! fastText's `supervised` command on tamis's trainer, for benchmarks and comparisons:
//!
//! ```sh
//! cargo run --release -p tamis-lid --example train -- supervised -input train.txt \
//!     -output model -lr 0.5 -epoch 10 -wordNgrams 2 -thread 4
//! ```
//!
//! writes `model.bin` and prints the vocabulary size, the time (in all, preparing, training)
//! and the speed in words per second per thread (fastText's `words/sec/thread`: tokens
//! processed over training time over threads). The options are fastText's (src/args.cc); `-test FILE` also prints
//! precision at one on a labelled file.

use std::process::ExitCode;
use std::time::Instant;

use tamis_lid::{train, Loss, Model, TrainArgs};

fn usage() -> ExitCode {
    eprintln!(
        "usage: train supervised -input FILE -output PREFIX [-lr F] [-dim N] [-ws N] [-epoch N] \
         [-minCount N] [-minCountLabel N] [-neg N] [-wordNgrams N] [-loss softmax|hs|ns|ova] \
         [-bucket N] [-minn N] [-maxn N] [-thread N] [-lrUpdateRate N] [-t F] [-label S] \
         [-seed N] [-test FILE]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    // "supervised" then option/value pairs
    if argv.first().map(String::as_str) != Some("supervised") || argv.len() & 1 == 0 {
        return usage();
    }
    let mut args = TrainArgs::default();
    let (mut input, mut output, mut test) = (None, None, None);
    for pair in argv[1..].chunks(2) {
        let (key, value) = (pair[0].as_str(), pair[1].as_str());
        let int = || {
            value
                .parse::<u32>()
                .map_err(|e| format!("{key} {value}: {e}"))
        };
        let float = || {
            value
                .parse::<f64>()
                .map_err(|e| format!("{key} {value}: {e}"))
        };
        let set = (|| -> Result<(), String> {
            match key {
                "-input" => input = Some(value.to_string()),
                "-output" => output = Some(value.to_string()),
                "-test" => test = Some(value.to_string()),
                "-lr" => args.lr = float()?,
                "-dim" => args.dim = int()?,
                "-ws" => args.ws = int()?,
                "-epoch" => args.epoch = int()?,
                "-minCount" => args.min_count = int()?,
                "-minCountLabel" => args.min_count_label = int()?,
                "-neg" => args.neg = int()?,
                "-wordNgrams" => args.word_ngrams = int()?,
                "-bucket" => args.bucket = int()?,
                "-minn" => args.minn = int()?,
                "-maxn" => args.maxn = int()?,
                "-thread" => args.thread = int()?,
                "-lrUpdateRate" => args.lr_update_rate = int()?,
                "-t" => args.t = float()?,
                "-label" => args.label = value.to_string(),
                "-seed" => args.seed = value.parse().map_err(|e| format!("{key}: {e}"))?,
                "-loss" => {
                    args.loss = match value {
                        "softmax" => Loss::Softmax,
                        "hs" => Loss::HierarchicalSoftmax,
                        "ns" => Loss::NegativeSampling,
                        "ova" => Loss::OneVsAll,
                        _ => return Err(format!("unknown loss {value}")),
                    }
                }
                _ => return Err(format!("unknown option {key}")),
            }
            Ok(())
        })();
        if let Err(e) = set {
            eprintln!("{e}");
            return usage();
        }
    }
    let (Some(input), Some(output)) = (input, output) else {
        return usage();
    };
    let start = Instant::now();
    let trained = match train(&args, input.as_ref()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let secs = start.elapsed().as_secs_f64();
    let stats = trained.stats();
    println!(
        "words {} labels {} tokens {} time {secs:.3}s prepare {:.3}s train {:.3}s \
         words/sec/thread {:.0}",
        trained.nwords(),
        trained.nlabels(),
        trained.ntokens(),
        stats.prepare_seconds,
        stats.train_seconds,
        stats.words_per_sec_per_thread()
    );
    if let Err(e) = trained.save_bin(format!("{output}.bin").as_ref()) {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    if let Some(test) = test {
        let model: Model = trained.into_model();
        let text = match std::fs::read_to_string(&test) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{test}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let (mut n, mut right) = (0usize, 0usize);
        for line in text.lines() {
            let gold: Vec<&str> = line
                .split_ascii_whitespace()
                .filter(|t| t.starts_with(args.label.as_str()))
                .collect();
            if gold.is_empty() {
                continue;
            }
            n += 1;
            if let Some(p) = model.predict(line, 1, 0.0).first() {
                right += usize::from(gold.contains(&p.raw_label));
            }
        }
        println!("N {n} P@1 {:.4}", right as f64 / n.max(1) as f64);
    }
    ExitCode::SUCCESS
}
