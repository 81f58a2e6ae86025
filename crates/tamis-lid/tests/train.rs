//! The trainer against fastText's own (its Python package, fasttext-numpy2-wheel 0.9.2): with
//! one thread every configuration of `tools/gen_train_golden.py` must write the very bytes
//! fastText wrote (SHA-256 and size in `tests/golden/train-golden.json`) and predict the same
//! labels and f32 probabilities; with two threads (Hogwild, not deterministic) the model must
//! be about as accurate on held-out lines as fastText's. Also: bad input gives typed errors
//! naming the data, never a panic.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;
use sha2::{Digest, Sha256};
use tamis_lid::{train, train_bytes, Loss, Model, TrainArgs, TrainError};

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn unzstd(name: &str) -> Vec<u8> {
    zstd::decode_all(std::fs::File::open(golden_path(name)).unwrap()).unwrap()
}

fn train_data() -> &'static [u8] {
    static DATA: OnceLock<Vec<u8>> = OnceLock::new();
    DATA.get_or_init(|| unzstd("train-lingua.txt.zst"))
}

fn heldout() -> &'static str {
    static DATA: OnceLock<String> = OnceLock::new();
    DATA.get_or_init(|| String::from_utf8(unzstd("heldout-lingua.txt.zst")).unwrap())
}

fn golden() -> &'static Value {
    static G: OnceLock<Value> = OnceLock::new();
    G.get_or_init(|| {
        serde_json::from_slice(&std::fs::read(golden_path("train-golden.json")).unwrap()).unwrap()
    })
}

/// `fasttext.train_supervised` keyword arguments as [`TrainArgs`] (thread 1 unless given).
fn args_from(json: &Value) -> TrainArgs {
    let mut a = TrainArgs {
        thread: 1,
        ..TrainArgs::default()
    };
    for (k, v) in json.as_object().unwrap() {
        let int = || u32::try_from(v.as_u64().unwrap()).unwrap();
        match k.as_str() {
            "lr" => a.lr = v.as_f64().unwrap(),
            "dim" => a.dim = int(),
            "epoch" => a.epoch = int(),
            "minCount" => a.min_count = int(),
            "minCountLabel" => a.min_count_label = int(),
            "neg" => a.neg = int(),
            "wordNgrams" => a.word_ngrams = int(),
            "bucket" => a.bucket = int(),
            "minn" => a.minn = int(),
            "maxn" => a.maxn = int(),
            "lrUpdateRate" => a.lr_update_rate = int(),
            "seed" => a.seed = v.as_i64().unwrap() as i32,
            "loss" => {
                a.loss = match v.as_str().unwrap() {
                    "softmax" => Loss::Softmax,
                    "hs" => Loss::HierarchicalSoftmax,
                    "ns" => Loss::NegativeSampling,
                    "ova" => Loss::OneVsAll,
                    l => panic!("loss {l}"),
                }
            }
            _ => panic!("unhandled argument {k}"),
        }
    }
    a
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// fastText's `test` precision at one: a line counts when the best label is one of its own.
fn precision_at_one(model: &Model) -> f64 {
    let (mut n, mut right) = (0usize, 0usize);
    for line in heldout().lines() {
        let gold: Vec<&str> = line
            .split_whitespace()
            .filter(|t| t.starts_with("__label__"))
            .collect();
        if let Some(p) = model.predict(line, 1, 0.0).first() {
            n += 1;
            right += usize::from(gold.contains(&p.raw_label));
        }
    }
    right as f64 / n as f64
}

#[test]
fn single_thread_models_are_byte_identical_to_fasttext() {
    let heldout: Vec<&str> = heldout().split('\n').collect();
    for cfg in golden()["configs"].as_array().unwrap() {
        let name = cfg["name"].as_str().unwrap();
        let args = args_from(&cfg["args"]);
        let trained = train_bytes(&args, train_data(), name).unwrap();
        let bytes = trained.to_bin_bytes();
        assert_eq!(
            bytes.len() as u64,
            cfg["size"].as_u64().unwrap(),
            "{name}: size"
        );
        assert_eq!(
            sha256(&bytes),
            cfg["sha256"].as_str().unwrap(),
            "{name}: sha256"
        );

        let model = trained.into_model();
        for p in cfg["predictions"].as_array().unwrap() {
            let line = heldout[p["line"].as_u64().unwrap() as usize];
            let got = model.predict(line, 2, 0.0);
            let labels: Vec<&str> = got.iter().map(|g| g.raw_label).collect();
            let want: Vec<&str> = p["labels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_str().unwrap())
                .collect();
            assert_eq!(labels, want, "{name}: {line}");
            for (g, w) in got.iter().zip(p["probs"].as_array().unwrap()) {
                let w: f32 = w.as_str().unwrap().parse().unwrap();
                assert_eq!(g.prob, w, "{name}: {line}");
            }
        }
        let p1 = precision_at_one(&model);
        let want = cfg["heldout_p1"].as_f64().unwrap();
        assert!((p1 - want).abs() < 1e-9, "{name}: P@1 {p1} vs {want}");
    }
}

#[test]
fn file_and_memory_input_agree_and_the_file_loads() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("train.txt");
    std::fs::write(&input, train_data()).unwrap();
    let cfg = &golden()["configs"][1];
    let args = args_from(&cfg["args"]);
    let trained = train(&args, &input).unwrap();
    let out = dir.path().join("model.bin");
    trained.save_bin(&out).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(sha256(&bytes), cfg["sha256"].as_str().unwrap());
    assert_eq!(bytes, trained.to_bin_bytes());
    let loaded = Model::from_path(&out).unwrap();
    let direct = trained.model();
    for line in heldout().lines().take(50) {
        assert_eq!(loaded.predict(line, 3, 0.0), direct.predict(line, 3, 0.0));
    }
    assert_eq!(trained.nlabels(), 13);
    assert_eq!(trained.labels().next(), Some("__label__romance"));
}

#[test]
fn training_is_deterministic_with_one_thread() {
    let args = TrainArgs {
        dim: 8,
        epoch: 2,
        thread: 1,
        word_ngrams: 2,
        bucket: 5000,
        seed: 11,
        ..TrainArgs::default()
    };
    let a = train_bytes(&args, train_data(), "a")
        .unwrap()
        .to_bin_bytes();
    let b = train_bytes(&args, train_data(), "b")
        .unwrap()
        .to_bin_bytes();
    assert_eq!(a, b);
}

#[test]
fn hogwild_training_is_about_as_accurate_as_fasttext() {
    let mt = &golden()["multithread"];
    let mut args = args_from(&mt["args"]);
    args.thread = mt["thread"].as_u64().unwrap() as u32;
    let fasttext_worst = mt["heldout_p1"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .fold(1.0, f64::min);
    let model = train_bytes(&args, train_data(), "mt").unwrap().into_model();
    let p1 = precision_at_one(&model);
    // Hogwild runs vary; fastText's own three runs span about a point.
    assert!(
        p1 >= fasttext_worst - 0.03,
        "P@1 {p1} with {} threads, fastText's worst {fasttext_worst}",
        args.thread
    );
}

fn err(args: &TrainArgs, data: &str) -> TrainError {
    train_bytes(args, data.as_bytes().to_vec(), "data.txt").unwrap_err()
}

#[test]
fn bad_input_is_a_typed_error_naming_the_data() {
    let args = TrainArgs {
        dim: 4,
        thread: 1,
        ..TrainArgs::default()
    };
    let e = err(&args, "");
    assert!(matches!(e, TrainError::EmptyVocabulary { .. }), "{e}");
    assert!(e.to_string().starts_with("data.txt: "), "{e}");
    let e = err(&args, "no labels here\nat all\n");
    assert!(matches!(e, TrainError::NoLabels { .. }), "{e}");
    let e = err(
        &TrainArgs {
            min_count_label: 5,
            ..args.clone()
        },
        "__label__a x\n",
    );
    assert!(matches!(e, TrainError::NoLabels { .. }), "{e}");
    let e = err(
        &TrainArgs {
            loss: Loss::NegativeSampling,
            ..args.clone()
        },
        "__label__a x\n__label__a y\n",
    );
    assert!(
        matches!(e, TrainError::OneLabelNegativeSampling { .. }),
        "{e}"
    );
    let bad = train_bytes(&args, b"__label__\xff x\n".to_vec(), "data.txt").unwrap_err();
    assert!(matches!(bad, TrainError::LabelNotUtf8 { .. }), "{bad}");
    let e = train(&args, Path::new("/nonexistent/train.txt")).unwrap_err();
    assert!(matches!(e, TrainError::Read { .. }), "{e}");
    assert!(e.to_string().contains("/nonexistent/train.txt"), "{e}");

    for bad in [
        TrainArgs {
            dim: 0,
            ..args.clone()
        },
        TrainArgs {
            thread: 0,
            ..args.clone()
        },
        TrainArgs {
            word_ngrams: 2,
            bucket: 0,
            ..args.clone()
        },
        TrainArgs {
            lr: f64::NAN,
            ..args.clone()
        },
        TrainArgs {
            label: String::new(),
            ..args.clone()
        },
    ] {
        assert!(matches!(
            err(&bad, "__label__a x\n"),
            TrainError::InvalidArgs(_)
        ));
    }
}

#[test]
fn lines_without_words_or_labels_are_skipped_like_fasttext() {
    let args = TrainArgs {
        dim: 4,
        thread: 1,
        epoch: 3,
        ..TrainArgs::default()
    };
    // a label-only line, a word-only line, an empty line, no final newline
    let t = train_bytes(
        &args,
        b"__label__a\nwords only\n\n__label__b x y".to_vec(),
        "d",
    )
    .unwrap();
    assert_eq!(t.nlabels(), 2);
    let m = t.into_model();
    assert_eq!(m.labels().len(), 2);
}

#[test]
fn divergence_is_an_error() {
    let args = TrainArgs {
        dim: 4,
        thread: 1,
        lr: 1e30,
        epoch: 50,
        ..TrainArgs::default()
    };
    let data = "__label__a x y\n__label__b y z\n".repeat(20);
    let e = err(&args, &data);
    assert!(matches!(e, TrainError::Diverged { .. }), "{e}");
}
