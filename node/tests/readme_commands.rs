//! The README and the operator guide show `cpchain-node` commands; each must
//! exist, with every flag it uses, in the binary's own `--help`. A renamed
//! subcommand or flag fails here instead of in a reader's terminal.

use std::{collections::BTreeMap, path::Path, process::Command};

/// The `cpchain-node ...` commands in the shell blocks of `file`, with
/// continued lines joined.
fn commands_in(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(file))
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut commands = Vec::new();
    let mut in_shell = false;
    let mut pending: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_shell = !in_shell && (trimmed == "```sh" || trimmed == "```bash");
            pending = None;
            continue;
        }
        if !in_shell {
            continue;
        }
        let code = trimmed.split(" #").next().unwrap_or("").trim_end();
        let joined = match pending.take() {
            Some(start) => format!("{start} {code}"),
            None if code.starts_with("cpchain-node ") => code.to_string(),
            None => continue,
        };
        match joined.strip_suffix('\\') {
            Some(start) => pending = Some(start.trim_end().to_string()),
            None => commands.push(joined),
        }
    }
    commands
}

/// `cpchain-node <path> --help`, or None when that is no command.
fn help(path: &[&str], cache: &mut BTreeMap<Vec<String>, Option<String>>) -> Option<String> {
    let key: Vec<String> = path.iter().map(|s| s.to_string()).collect();
    cache
        .entry(key)
        .or_insert_with(|| {
            let output = Command::new(env!("CARGO_BIN_EXE_cpchain-node"))
                .args(path)
                .arg("--help")
                .output()
                .expect("cpchain-node runs");
            output
                .status
                .success()
                .then(|| String::from_utf8_lossy(&output.stdout).to_string())
        })
        .clone()
}

#[test]
fn every_command_the_docs_show_exists_with_its_flags() {
    let mut cache = BTreeMap::new();
    let mut checked = 0;
    for file in [
        "README.md",
        "docs/operator-guide.md",
        "chain-specs/README.md",
    ] {
        for command in commands_in(file) {
            let words: Vec<&str> = command.split_whitespace().skip(1).collect();
            // The longest run of words that names a (sub)command.
            let mut path: Vec<&str> = Vec::new();
            for word in &words {
                if word.starts_with('-') || word.starts_with('<') || word.starts_with('$') {
                    continue;
                }
                let mut longer = path.clone();
                longer.push(word);
                if help(&longer, &mut cache).is_some() {
                    path = longer;
                }
            }
            let text = help(&path, &mut cache)
                .unwrap_or_else(|| panic!("{file}: `{command}`: no such command"));
            for flag in words.iter().filter(|word| word.starts_with("--")) {
                let flag = flag.split('=').next().unwrap_or(flag);
                assert!(
                    text.contains(flag),
                    "{file}: `{command}`: `cpchain-node {} --help` has no {flag}",
                    path.join(" ")
                );
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 20,
        "only {checked} commands found: is the parser still right?"
    );
    eprintln!("{checked} documented commands checked against --help");
}
