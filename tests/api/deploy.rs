//! The deployment files: `Dockerfile` and `compose.yaml` hold Connect's deployment contract
//! (paths, ports, uid 999, environment), and the topology they describe works when run as plain
//! processes (there is no container engine in CI): an `api` and a `sync` process sharing the
//! credentials file and the data directory, configured only by the environment the files set.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_norway::Value as Yaml;

const BIN: &str = env!("CARGO_BIN_EXE_latchkey");

/// Connect's paths inside the containers.
const HOME: &str = "/home/opuser";
const CREDENTIALS: &str = "/home/opuser/.op/1password-credentials.json";
const DATA_DIR: &str = "/home/opuser/.op/data";
const BINARY: &str = "/usr/local/bin/latchkey";

fn repo_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

// ---- Dockerfile ----------------------------------------------------------------------------------

/// One Dockerfile instruction: its keyword (upper case) and the rest of its logical line.
#[derive(Debug, Clone)]
struct Instruction {
    keyword: String,
    rest: String,
}

impl Instruction {
    /// The JSON-array (exec) form, if the rest is one.
    fn exec_form(&self) -> Option<Vec<String>> {
        exec_form(&self.rest)
    }

    /// Leading `--name=value` flags and what follows them.
    fn flags(&self) -> (BTreeMap<String, String>, String) {
        split_flags(&self.rest)
    }
}

fn exec_form(text: &str) -> Option<Vec<String>> {
    let text = text.trim();
    text.starts_with('[')
        .then(|| serde_json::from_str::<Vec<String>>(text).ok())
        .flatten()
}

fn split_flags(text: &str) -> (BTreeMap<String, String>, String) {
    let mut flags = BTreeMap::new();
    let mut rest = text.trim_start();
    while let Some(flag) = rest.strip_prefix("--") {
        let end = flag.find(char::is_whitespace).unwrap_or(flag.len());
        let (name, value) = flag[..end].split_once('=').unwrap_or((&flag[..end], ""));
        flags.insert(name.to_string(), value.to_string());
        rest = flag[end..].trim_start();
    }
    (flags, rest.to_string())
}

/// Words of a shell-form argument list; double quotes group, and are removed.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut in_word = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(word);
    }
    out
}

/// Logical instructions: comments and blank lines dropped, `\` continuations joined (comment
/// lines inside a continuation are skipped, as Docker does).
fn parse_dockerfile(text: &str) -> Vec<Instruction> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (body, continues) = match line.trim_end().strip_suffix('\\') {
            Some(body) => (body, true),
            None => (line.trim_end(), false),
        };
        let logical = current.get_or_insert_with(String::new);
        logical.push_str(body);
        if !continues {
            let logical = current.take().unwrap();
            let logical = logical.trim();
            let (keyword, rest) = logical
                .split_once(char::is_whitespace)
                .unwrap_or((logical, ""));
            out.push(Instruction {
                keyword: keyword.to_ascii_uppercase(),
                rest: rest.trim().to_string(),
            });
        }
    }
    assert!(
        current.is_none(),
        "the Dockerfile ends inside a continuation"
    );
    out
}

/// A `COPY`: its position in the stage, flags, sources and destination.
#[derive(Debug)]
struct Copied {
    line: usize,
    flags: BTreeMap<String, String>,
    sources: Vec<String>,
    dest: String,
}

/// A build stage: its base image, its `AS` name and its instructions after `FROM`.
#[derive(Debug)]
struct Stage {
    image: String,
    name: Option<String>,
    instructions: Vec<Instruction>,
}

impl Stage {
    fn all(&self, keyword: &str) -> impl Iterator<Item = (usize, &Instruction)> + '_ {
        let keyword = keyword.to_string();
        self.instructions
            .iter()
            .enumerate()
            .filter(move |(_, i)| i.keyword == keyword)
    }

    fn last(&self, keyword: &str) -> Option<&Instruction> {
        self.all(keyword).last().map(|(_, i)| i)
    }

    /// `ENV` as a map (both `K=V K2=V2` and the legacy `K V` form); later values win.
    fn env(&self) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        for (_, i) in self.all("ENV") {
            let parts = words(&i.rest);
            if parts.first().is_some_and(|w| !w.contains('=')) {
                let (key, value) = i.rest.split_once(char::is_whitespace).unwrap();
                env.insert(key.to_string(), value.trim().to_string());
                continue;
            }
            for part in parts {
                let (key, value) = part.split_once('=').expect("ENV K=V");
                env.insert(key.to_string(), value.to_string());
            }
        }
        env
    }

    /// The stage's `COPY` instructions.
    fn copies(&self) -> Vec<Copied> {
        self.all("COPY")
            .map(|(line, i)| {
                let (flags, rest) = i.flags();
                let mut sources = exec_form(&rest).unwrap_or_else(|| words(&rest));
                let dest = sources.pop().expect("COPY destination");
                Copied {
                    line,
                    flags,
                    sources,
                    dest,
                }
            })
            .collect()
    }

    fn runs(&self) -> impl Iterator<Item = (usize, &str)> + '_ {
        self.all("RUN").map(|(n, i)| (n, i.rest.as_str()))
    }
}

fn stages(instructions: &[Instruction]) -> Vec<Stage> {
    let mut stages: Vec<Stage> = Vec::new();
    for i in instructions {
        if i.keyword == "FROM" {
            let (_, rest) = i.flags();
            let parts = words(&rest);
            let name = match parts.as_slice() {
                [_, as_, name] if as_.eq_ignore_ascii_case("as") => Some(name.clone()),
                [_] => None,
                other => panic!("unexpected FROM {other:?}"),
            };
            stages.push(Stage {
                image: parts[0].clone(),
                name,
                instructions: Vec::new(),
            });
        } else {
            stages
                .last_mut()
                .unwrap_or_else(|| panic!("{} before FROM", i.keyword))
                .instructions
                .push(i.clone());
        }
    }
    stages
}

fn dockerfile() -> Vec<Stage> {
    stages(&parse_dockerfile(&repo_file("Dockerfile")))
}

/// `HEALTHCHECK [flags] CMD …`: the flags and the command's argv.
fn dockerfile_healthcheck(stage: &Stage) -> (BTreeMap<String, String>, Vec<String>) {
    let healthcheck = stage.last("HEALTHCHECK").expect("a HEALTHCHECK");
    let (flags, rest) = healthcheck.flags();
    let command = rest
        .strip_prefix("CMD")
        .expect("HEALTHCHECK … CMD …")
        .trim();
    (flags, exec_form(command).unwrap_or_else(|| words(command)))
}

#[test]
fn dockerfile_parser_handles_continuations_comments_and_exec_forms() {
    let parsed = parse_dockerfile(
        "# syntax=docker/dockerfile:1\nFROM a AS b\nRUN one \\\n  # a comment\n    && two\n\
         ENV A=1 \\\n    B=\"x y\"\nCMD [\"api\", \"--x\"]\nHEALTHCHECK --interval=5s CMD [\"/bin/t\"]\n",
    );
    let keywords: Vec<&str> = parsed.iter().map(|i| i.keyword.as_str()).collect();
    assert_eq!(keywords, ["FROM", "RUN", "ENV", "CMD", "HEALTHCHECK"]);
    assert_eq!(parsed[1].rest, "one     && two");
    assert_eq!(parsed[3].exec_form().unwrap(), ["api", "--x"]);
    let stage = &stages(&parsed)[0];
    assert_eq!(stage.name.as_deref(), Some("b"));
    assert_eq!(stage.env()["B"], "x y");
    let (flags, argv) = dockerfile_healthcheck(stage);
    assert_eq!(flags["interval"], "5s");
    assert_eq!(argv, ["/bin/t"]);
}

#[test]
fn dockerfile_builds_locked_in_a_builder_stage_with_a_dependency_layer() {
    let stages = dockerfile();
    assert!(stages.len() >= 2, "multi-stage: {stages:?}");
    let (runtime, builders) = stages.split_last().unwrap();
    let build = builders
        .iter()
        .find(|s| {
            s.runs()
                .any(|(_, r)| r.contains("cargo build") && r.contains("--bin latchkey"))
        })
        .expect("a builder stage that runs cargo build");
    assert!(build.image.starts_with("rust:"), "{}", build.image);
    assert!(!runtime.image.starts_with("rust:"), "{}", runtime.image);

    let cargo_builds: Vec<usize> = build
        .runs()
        .filter(|(_, r)| r.contains("cargo build"))
        .map(|(n, r)| {
            for flag in ["--release", "--locked", "--bin latchkey"] {
                assert!(r.contains(flag), "cargo build without {flag}: {r}");
            }
            n
        })
        .collect();
    assert!(
        cargo_builds.len() >= 2,
        "a dependency build and the real one"
    );
    let copied = |what: &str| {
        build
            .copies()
            .into_iter()
            .find(|c| {
                c.sources
                    .iter()
                    .any(|s| s.trim_end_matches('/').trim_start_matches("./") == what)
            })
            .unwrap_or_else(|| panic!("the builder copies {what}"))
            .line
    };
    let (first_build, real_build) = (cargo_builds[0], *cargo_builds.last().unwrap());
    assert!(copied("Cargo.toml") < first_build);
    assert!(copied("Cargo.lock") < first_build);
    assert!(
        first_build < copied("src"),
        "dependencies build before src/ is copied"
    );
    assert!(copied("src") < real_build);
    assert!(
        copied("migrations") < real_build,
        "migrations/ is embedded at compile time"
    );
}

#[test]
fn dockerfile_runtime_stage_is_connects_layout() {
    let stages = dockerfile();
    let runtime = stages.last().unwrap();
    assert!(
        runtime.image.starts_with("gcr.io/distroless/") || runtime.image.contains("slim"),
        "a small runtime image: {}",
        runtime.image
    );
    if runtime.image.starts_with("gcr.io/distroless/") {
        assert_eq!(runtime.runs().count(), 0, "distroless has no shell to RUN");
    }

    assert_eq!(runtime.last("USER").expect("USER").rest, "999:999");
    let env = runtime.env();
    assert_eq!(env["HOME"], HOME);
    assert_eq!(env["XDG_DATA_HOME"], HOME);
    assert_eq!(env["OP_HTTP_PORT"], "8080");
    assert_eq!(
        env["MALLOC_ARENA_MAX"], "2",
        "the image limits glibc's malloc arenas"
    );
    assert_eq!(format!("{}/.op/data", env["XDG_DATA_HOME"]), DATA_DIR);

    let volume = runtime.last("VOLUME").expect("VOLUME");
    let volumes = volume.exec_form().unwrap_or_else(|| words(&volume.rest));
    assert_eq!(volumes, [DATA_DIR]);
    let exposed = runtime.last("EXPOSE").expect("EXPOSE");
    assert!(words(&exposed.rest).contains(&"8080".to_string()));

    // The data directory exists in the image owned by 999 (a new named volume copies its owner):
    // copied with --chown=999:999 from a directory the builder made.
    let copies = runtime.copies();
    let Copied {
        flags,
        sources,
        dest,
        ..
    } = copies
        .iter()
        .find(|c| {
            c.flags.get("chown").map(String::as_str) == Some("999:999")
                && Path::new(DATA_DIR).starts_with(c.dest.trim_end_matches('/'))
        })
        .expect("COPY --chown=999:999 of the home and data directories");
    let relative = Path::new(DATA_DIR)
        .strip_prefix(dest.trim_end_matches('/'))
        .unwrap();
    let made = Path::new(&sources[0]).join(relative);
    let from = flags.get("from").expect("COPY --from the builder");
    let builder = stages
        .iter()
        .find(|s| s.name.as_deref() == Some(from.as_str()))
        .expect("the stage named by --from");
    assert!(
        builder
            .runs()
            .any(|(_, r)| r.contains(made.to_str().unwrap())),
        "the builder creates {}",
        made.display()
    );

    // The binary, its entry point and the default command.
    assert!(
        copies.iter().any(|c| c.dest == BINARY),
        "the binary is copied to {BINARY}"
    );
    let entrypoint = runtime.last("ENTRYPOINT").expect("ENTRYPOINT");
    assert_eq!(entrypoint.exec_form().expect("exec form"), [BINARY]);
    let cmd = runtime.last("CMD").expect("CMD");
    assert_eq!(cmd.exec_form().expect("exec form"), ["api"]);

    let (flags, argv) = dockerfile_healthcheck(runtime);
    assert_eq!(argv, [BINARY, "healthcheck"]);
    for flag in ["interval", "timeout", "retries"] {
        assert!(flags.contains_key(flag), "HEALTHCHECK --{flag}");
    }
}

// ---- compose.yaml --------------------------------------------------------------------------------

fn compose() -> Yaml {
    serde_norway::from_str(&repo_file("compose.yaml")).expect("compose.yaml parses")
}

fn scalar(value: &Yaml) -> String {
    match value {
        Yaml::String(s) => s.clone(),
        Yaml::Number(n) => n.to_string(),
        Yaml::Bool(b) => b.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// A command or healthcheck `test` as argv: a list, or a string split on whitespace.
fn argv(value: &Yaml) -> Vec<String> {
    match value {
        Yaml::Sequence(items) => items.iter().map(scalar).collect(),
        Yaml::String(s) => words(s),
        other => panic!("not a command: {other:?}"),
    }
}

/// A service's `environment`, in map or `K=V` list form.
fn environment(service: &Yaml) -> BTreeMap<String, String> {
    match &service["environment"] {
        Yaml::Mapping(map) => map.iter().map(|(k, v)| (scalar(k), scalar(v))).collect(),
        Yaml::Sequence(items) => items
            .iter()
            .map(|i| {
                let item = scalar(i);
                let (k, v) = item.split_once('=').expect("K=V");
                (k.to_string(), v.to_string())
            })
            .collect(),
        Yaml::Null => BTreeMap::new(),
        other => panic!("environment: {other:?}"),
    }
}

#[derive(Debug, PartialEq)]
struct Mount {
    source: String,
    target: String,
    read_only: bool,
}

/// A service's `volumes`, short (`src:dst[:ro]`) or long syntax.
fn mounts(service: &Yaml) -> Vec<Mount> {
    service["volumes"]
        .as_sequence()
        .expect("volumes")
        .iter()
        .map(|v| match v {
            Yaml::String(s) => {
                let parts: Vec<&str> = s.split(':').collect();
                Mount {
                    source: parts[0].to_string(),
                    target: parts[1].to_string(),
                    read_only: parts
                        .get(2)
                        .is_some_and(|m| m.split(',').any(|o| o == "ro")),
                }
            }
            Yaml::Mapping(_) => Mount {
                source: scalar(&v["source"]),
                target: scalar(&v["target"]),
                read_only: v["read_only"].as_bool().unwrap_or(false),
            },
            other => panic!("volume: {other:?}"),
        })
        .collect()
}

/// Published or exposed ports as (host port if published, container port).
fn ports(service: &Yaml) -> Vec<(Option<u16>, u16)> {
    let port = |s: &str| s.split('/').next().unwrap().parse::<u16>().expect("port");
    let mut out: Vec<(Option<u16>, u16)> = service["ports"]
        .as_sequence()
        .map(|ports| {
            ports
                .iter()
                .map(|p| match p {
                    Yaml::Mapping(_) => (
                        p.get("published").map(|h| port(&scalar(h))),
                        port(&scalar(&p["target"])),
                    ),
                    p => {
                        let text = scalar(p);
                        let parts: Vec<&str> = text.rsplitn(3, ':').collect();
                        (parts.get(1).map(|h| port(h)), port(parts[0]))
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(exposed) = service["expose"].as_sequence() {
        out.extend(exposed.iter().map(|p| (None, port(&scalar(p)))));
    }
    out
}

/// The healthcheck's argv (after `CMD`), the port it probes, and the service's port.
fn compose_healthcheck(service: &Yaml) -> Vec<String> {
    let mut test = argv(&service["healthcheck"]["test"]);
    match test.first().map(String::as_str) {
        Some("CMD") => {
            test.remove(0);
        }
        Some("CMD-SHELL") => {
            test = words(&test[1..].join(" "));
        }
        _ => {}
    }
    test
}

fn probed_port(test: &[String], env: &BTreeMap<String, String>) -> String {
    test.iter()
        .position(|a| a == "--port")
        .map(|n| test[n + 1].clone())
        .or_else(|| {
            test.iter()
                .find_map(|a| a.strip_prefix("--port=").map(str::to_string))
        })
        .or_else(|| env.get("OP_HTTP_PORT").cloned())
        .unwrap_or_else(|| "8080".into())
}

const SERVICES: [(&str, &str, u16); 2] = [
    ("latchkey-api", "api", 8080),
    ("latchkey-sync", "sync", 8081),
];

#[test]
fn compose_runs_api_and_sync_from_one_image_as_uid_999() {
    let compose = compose();
    let services = compose["services"].as_mapping().expect("services");
    let names: Vec<String> = services.keys().map(scalar).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let runtime = dockerfile().pop().unwrap();
    let entrypoint = runtime.last("ENTRYPOINT").unwrap().exec_form().unwrap();

    for (name, command, port) in SERVICES {
        let service = &compose["services"][name];
        assert!(service.is_mapping(), "service {name}");
        assert_eq!(argv(&service["command"]), [command], "{name}");
        assert_eq!(scalar(&service["image"]), "latchkey:latest", "{name}");
        let context = match &service["build"] {
            Yaml::Mapping(_) => scalar(&service["build"]["context"]),
            other => scalar(other),
        };
        assert_eq!(context, ".", "{name} builds this repository's Dockerfile");
        assert_eq!(scalar(&service["user"]), "999:999", "{name}");
        assert_eq!(service["read_only"].as_bool(), Some(true), "{name}");
        assert_eq!(scalar(&service["restart"]), "unless-stopped", "{name}");

        let env = environment(service);
        let image_port = runtime.env()["OP_HTTP_PORT"].clone();
        let listens = env.get("OP_HTTP_PORT").unwrap_or(&image_port);
        assert_eq!(listens, &port.to_string(), "{name} OP_HTTP_PORT");
        let published = ports(service);
        assert!(
            published.iter().any(|(_, container)| *container == port),
            "{name} exposes {port}: {published:?}"
        );
        if name == "latchkey-api" {
            assert!(published.contains(&(Some(8080), 8080)), "{published:?}");
        }

        let test = compose_healthcheck(service);
        assert_eq!(test[0], entrypoint[0], "{name} healthcheck runs the binary");
        assert_eq!(test[1], "healthcheck", "{name}");
        assert_eq!(probed_port(&test, &env), port.to_string(), "{name}");
        for key in ["interval", "timeout", "retries"] {
            assert!(
                !service["healthcheck"][key].is_null(),
                "{name} healthcheck {key}"
            );
        }
    }
}

#[test]
fn compose_shares_the_credentials_file_and_data_volume_at_connects_paths() {
    let compose = compose();
    let runtime = dockerfile().pop().unwrap();
    let image_env = runtime.env();
    let volume = runtime.last("VOLUME").unwrap();
    let volume = volume.exec_form().unwrap_or_else(|| words(&volume.rest));

    // Where latchkey looks without OP_SESSION: $HOME/.op/1password-credentials.json.
    assert_eq!(
        format!("{}/.op/1password-credentials.json", image_env["HOME"]),
        CREDENTIALS
    );
    let mut data_sources = Vec::new();
    for (name, _, _) in SERVICES {
        let service = &compose["services"][name];
        let mounts = mounts(service);
        let credentials = mounts
            .iter()
            .find(|m| m.target == CREDENTIALS)
            .unwrap_or_else(|| panic!("{name} mounts {CREDENTIALS}: {mounts:?}"));
        assert_eq!(credentials.source, "./1password-credentials.json", "{name}");
        assert!(credentials.read_only, "{name} mounts the credentials :ro");

        let data = mounts
            .iter()
            .find(|m| m.target == DATA_DIR)
            .unwrap_or_else(|| panic!("{name} mounts {DATA_DIR}: {mounts:?}"));
        assert!(!data.read_only, "{name} writes the data volume");
        assert_eq!(volume, [data.target.as_str()], "the image's VOLUME");
        assert!(
            compose["volumes"]
                .as_mapping()
                .is_some_and(|v| v.contains_key(data.source.as_str())),
            "{name}: {} is a named volume",
            data.source
        );
        data_sources.push(data.source.clone());

        let env = environment(service);
        if let Some(session) = env.get("OP_SESSION") {
            assert_eq!(session, CREDENTIALS, "{name} OP_SESSION");
        }
        let xdg = env
            .get("XDG_DATA_HOME")
            .unwrap_or(&image_env["XDG_DATA_HOME"]);
        assert_eq!(format!("{xdg}/.op/data"), DATA_DIR, "{name} XDG_DATA_HOME");
        assert!(
            !env.contains_key("LATCHKEY_DATA_DIR"),
            "{name}: the data dir comes from Connect's XDG_DATA_HOME"
        );
    }
    assert_eq!(data_sources[0], data_sources[1], "one shared data volume");
}

// ---- the same topology as processes --------------------------------------------------------------

/// A running `latchkey` process, killed on drop.
struct Running {
    child: Child,
    stderr: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    fn spawn(args: &[String], env: &BTreeMap<String, String>) -> Running {
        let mut child = Command::new(BIN)
            .args(args)
            .env_clear()
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn latchkey");
        let (tx, stderr) = mpsc::channel();
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            // Keep draining after the receiver is gone, so the child never writes to a closed pipe.
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Running {
            child,
            stderr,
            seen: Vec::new(),
        }
    }

    /// Waits for the JSON log line `message` and returns its `address`.
    fn listening(&mut self, message: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            match self.stderr.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                        if v["message"] == message {
                            return v["address"].as_str().expect("address").to_string();
                        }
                    }
                    self.seen.push(line);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        panic!(
            "never saw \"{message}\"; exit: {:?}; stderr:\n{}",
            self.child.try_wait(),
            self.seen.join("\n")
        );
    }

    /// Everything the process wrote to stderr so far.
    fn log(&mut self) -> String {
        self.seen.extend(self.stderr.try_iter());
        self.seen.join("\n")
    }

    /// SIGTERM (what `docker stop` sends), wait for the exit, and check that it is clean.
    #[track_caller]
    fn terminate_cleanly(mut self, what: &str) {
        let status = self.terminate();
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            status.success(),
            "{what}: {status:?}; stderr:\n{}",
            self.log()
        );
    }

    /// SIGTERM (what `docker stop` sends) and wait for the exit.
    fn terminate(&mut self) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The image's environment with `/home/opuser` moved to `home` (the stand-in for the container).
fn image_env(home: &Path) -> BTreeMap<String, String> {
    relocate(dockerfile().pop().unwrap().env(), home)
}

fn relocate(env: BTreeMap<String, String>, home: &Path) -> BTreeMap<String, String> {
    env.into_iter()
        .map(|(k, v)| {
            let v = match v.strip_prefix(HOME) {
                Some(rest) => format!("{}{rest}", home.display()),
                None => v,
            };
            (k, v)
        })
        .collect()
}

/// What a service's container sees: the image's environment, then compose's, relocated to `home`
/// and listening on `port`.
fn service_env(name: &str, home: &Path, port: u16) -> BTreeMap<String, String> {
    let mut env = image_env(home);
    env.extend(relocate(environment(&compose()["services"][name]), home));
    env.insert("OP_HTTP_PORT".into(), port.to_string());
    env
}

fn service_command(name: &str) -> Vec<String> {
    argv(&compose()["services"][name]["command"])
}

fn latchkey(args: &[&str], env: &BTreeMap<String, String>) -> Output {
    Command::new(BIN)
        .args(args)
        .env_clear()
        .envs(env)
        .stdin(Stdio::null())
        .output()
        .expect("run latchkey")
}

#[track_caller]
fn latchkey_ok(args: &[&str], env: &BTreeMap<String, String>) -> String {
    let out = latchkey(args, env);
    assert!(
        out.status.success(),
        "latchkey {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Every file under `dir`, relative to it.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// `latchkey init` into the stand-in home, with only the image's HOME and XDG_DATA_HOME set; then
/// the file is made read-only, as compose mounts it.
fn init_home(home: &Path) -> BTreeMap<String, String> {
    let image = image_env(home);
    let cli_env: BTreeMap<String, String> = image
        .into_iter()
        .filter(|(k, _)| k == "HOME" || k == "XDG_DATA_HOME")
        .collect();
    assert_eq!(cli_env.len(), 2, "{cli_env:?}");
    latchkey_ok(&["init"], &cli_env);
    let credentials = home.join(".op/1password-credentials.json");
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&credentials)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    std::fs::set_permissions(&credentials, std::fs::Permissions::from_mode(0o400)).unwrap();
    cli_env
}

async fn get(url: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = crate::helpers::http_client().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request")
}

#[tokio::test]
async fn compose_topology_runs_as_processes_on_connects_defaults() {
    let home = tempfile::tempdir().unwrap();
    let cli_env = init_home(home.path());
    // The CLI finds the credentials and the data directory from HOME / XDG_DATA_HOME alone.
    latchkey_ok(&["vault", "create", "Infra"], &cli_env);
    let token = latchkey_ok(
        &["token", "issue", "--name", "deploy", "--vault", "Infra:rw"],
        &cli_env,
    );

    let (api_port, sync_port) = (free_port(), free_port());
    assert_ne!(api_port, sync_port);
    let api_env = service_env("latchkey-api", home.path(), api_port);
    let sync_env = service_env("latchkey-sync", home.path(), sync_port);
    assert_eq!(
        api_env["OP_SESSION"],
        home.path()
            .join(".op/1password-credentials.json")
            .display()
            .to_string()
    );
    let mut api = Running::spawn(&service_command("latchkey-api"), &api_env);
    let mut sync = Running::spawn(&service_command("latchkey-sync"), &sync_env);
    let api_address = api.listening("latchkey api listening");
    let sync_address = sync.listening("latchkey sync listening");
    assert!(
        api_address.ends_with(&format!(":{api_port}")),
        "{api_address}"
    );
    assert!(
        sync_address.ends_with(&format!(":{sync_port}")),
        "{sync_address}"
    );
    let api_url = format!("http://127.0.0.1:{api_port}");
    let sync_url = format!("http://127.0.0.1:{sync_port}");

    let vaults = get(&format!("{api_url}/v1/vaults"), Some(&token)).await;
    assert_eq!(vaults.status(), 200);
    let vaults: serde_json::Value = vaults.json().await.unwrap();
    assert_eq!(vaults[0]["name"], "Infra", "{vaults}");
    assert_eq!(
        get(&format!("{api_url}/v1/vaults"), None).await.status(),
        401
    );

    let heartbeat = get(&format!("{sync_url}/heartbeat"), None).await;
    assert_eq!(heartbeat.status(), 200);
    assert_eq!(heartbeat.text().await.unwrap(), ".");
    let health = get(&format!("{sync_url}/health"), None).await;
    assert_eq!(health.status(), 200);
    let health: serde_json::Value = health.json().await.unwrap();
    assert_eq!(health["name"], "1Password Connect Sync", "{health}");
    assert!(health["version"].is_string(), "{health}");

    // The compose healthchecks (ports moved to the test's), and the image's HEALTHCHECK, which
    // takes the port from the container's OP_HTTP_PORT.
    let runtime = dockerfile().pop().unwrap();
    let (_, image_check) = dockerfile_healthcheck(&runtime);
    for (name, port, env) in [
        ("latchkey-api", api_port, &api_env),
        ("latchkey-sync", sync_port, &sync_env),
    ] {
        let mut test = compose_healthcheck(&compose()["services"][name]);
        if let Some(n) = test.iter().position(|a| a == "--port") {
            test[n + 1] = port.to_string();
        }
        let args: Vec<&str> = test[1..].iter().map(String::as_str).collect();
        let out = latchkey(&args, env);
        assert!(out.status.success(), "{name} healthcheck {args:?}: {out:?}");
        let args: Vec<&str> = image_check[1..].iter().map(String::as_str).collect();
        let out = latchkey(&args, env);
        assert!(
            out.status.success(),
            "{name} image HEALTHCHECK {args:?}: {out:?}"
        );
    }
    let closed = free_port();
    let out = latchkey(&["healthcheck", "--port", &closed.to_string()], &api_env);
    assert!(
        !out.status.success(),
        "healthcheck of a closed port: {out:?}"
    );

    // `docker stop`: SIGTERM, clean exit; then the healthcheck fails.
    api.terminate_cleanly("api");
    sync.terminate_cleanly("sync");
    for port in [api_port, sync_port] {
        let out = latchkey(&["healthcheck", "--port", &port.to_string()], &api_env);
        assert!(!out.status.success(), "healthcheck after stop: {out:?}");
    }

    // Nothing was written outside the data volume (the container's only writable path).
    let files = files_under(home.path());
    assert!(
        files.contains(&PathBuf::from(".op/data/1password.sqlite")),
        "{files:?}"
    );
    for file in &files {
        assert!(
            file == Path::new(".op/1password-credentials.json") || file.starts_with(".op/data"),
            "wrote {} outside the data volume",
            file.display()
        );
    }
}

#[tokio::test]
async fn compose_up_on_an_empty_volume_starts_both_services_at_once() {
    // `docker compose up` on a new volume starts api and sync together against no database.
    let home = tempfile::tempdir().unwrap();
    let cli_env = init_home(home.path());
    let (api_port, sync_port) = (free_port(), free_port());
    let api_env = service_env("latchkey-api", home.path(), api_port);
    let sync_env = service_env("latchkey-sync", home.path(), sync_port);
    let mut api = Running::spawn(&service_command("latchkey-api"), &api_env);
    let mut sync = Running::spawn(&service_command("latchkey-sync"), &sync_env);
    api.listening("latchkey api listening");
    sync.listening("latchkey sync listening");

    // Then `docker compose exec latchkey-api latchkey vault create …` / `token issue …` while
    // both run, and the API serves the new vault.
    latchkey_ok(&["vault", "create", "Infra"], &cli_env);
    let token = latchkey_ok(
        &["token", "issue", "--name", "ci", "--vault", "Infra:rw"],
        &cli_env,
    );
    let vaults = get(
        &format!("http://127.0.0.1:{api_port}/v1/vaults"),
        Some(&token),
    )
    .await;
    assert_eq!(vaults.status(), 200);
    let vaults: serde_json::Value = vaults.json().await.unwrap();
    assert_eq!(vaults[0]["name"], "Infra", "{vaults}");
    api.terminate_cleanly("api");
    sync.terminate_cleanly("sync");
}
