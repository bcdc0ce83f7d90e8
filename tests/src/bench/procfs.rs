//! What `/proc` says about a process (CPU seconds, resident memory) and about the
//! machine the figures were taken on.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};

/// Clock ticks per second of `/proc/<pid>/stat` times: Linux's userspace `USER_HZ`,
/// which is 100 on every architecture it exposes to `/proc`.
const USER_HZ: f64 = 100.0;

/// A process's cumulative CPU time and memory at one instant.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcSample {
    /// User + system CPU seconds since the process started (all threads).
    pub cpu_s: f64,
    /// Resident set size now, KiB (`VmRSS`).
    pub rss_kib: u64,
    /// Peak resident set size since start, KiB (`VmHWM`).
    pub hwm_kib: u64,
}

impl ProcSample {
    pub fn rss_mib(&self) -> f64 {
        self.rss_kib as f64 / 1024.0
    }

    pub fn hwm_mib(&self) -> f64 {
        self.hwm_kib as f64 / 1024.0
    }
}

/// Samples process `pid` (`"self"` for this process).
pub fn sample(pid: &str) -> Result<ProcSample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    // The command name (field 2) is parenthesised and may contain spaces: split after it.
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .context("malformed /proc stat")?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After ")" field 3 (state) is index 0, so utime (14) and stime (15) are 11 and 12.
    let tick = |i: usize| -> Result<f64> {
        let v: u64 = fields
            .get(i)
            .context("short /proc stat")?
            .parse()
            .context("bad /proc stat field")?;
        Ok(v as f64 / USER_HZ)
    };
    let cpu_s = tick(11)? + tick(12)?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    Ok(ProcSample {
        cpu_s,
        rss_kib: status_kib(&status, "VmRSS:")?,
        hwm_kib: status_kib(&status, "VmHWM:")?,
    })
}

fn status_kib(status: &str, key: &str) -> Result<u64> {
    for line in status.lines() {
        if let Some(rest) = line.strip_prefix(key) {
            let number = rest
                .split_whitespace()
                .next()
                .context("empty status field")?;
            return Ok(number.parse()?);
        }
    }
    bail!("{key} missing from /proc status")
}

/// CPU seconds the whole machine (every core, every process) has been busy since boot,
/// from the `cpu` line of `/proc/stat`: user + nice + system + irq + softirq + steal.
pub fn machine_busy_s() -> Result<f64> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let line = stat
        .lines()
        .find(|l| l.starts_with("cpu "))
        .context("no cpu line in /proc/stat")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let busy: u64 = [0usize, 1, 2, 5, 6, 7]
        .iter()
        .map(|&i| v.get(i).copied().unwrap_or(0))
        .sum();
    Ok(busy as f64 / USER_HZ)
}

/// Waiting for the machine to be lightly loaded before a run (other people compile on it).
#[derive(Debug, Clone, Copy)]
pub struct Quiet {
    /// Start a run only when other processes keep fewer than this many cores busy…
    pub below_cores: f64,
    /// …waiting at most this long (then run anyway, and say so).
    pub max_wait: Duration,
}

impl Quiet {
    /// Waits until the machine's CPU use over a 2 s sample is below the threshold; returns
    /// the last sample (cores busy).
    pub async fn wait(&self) -> f64 {
        if !self.below_cores.is_finite() {
            return f64::NAN;
        }
        let start = std::time::Instant::now();
        loop {
            let busy = match busy_cores(Duration::from_secs(2)).await {
                Ok(b) => b,
                Err(_) => return f64::NAN,
            };
            if busy < self.below_cores {
                return busy;
            }
            if start.elapsed() >= self.max_wait {
                eprintln!(
                    "  machine still busy ({busy:.2} cores) after {:?}; running anyway",
                    self.max_wait
                );
                return busy;
            }
            eprintln!("  waiting for a quiet machine: {busy:.2} cores busy with other work");
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
    }
}

/// Cores kept busy on average over `over`.
pub async fn busy_cores(over: Duration) -> Result<f64> {
    let before = machine_busy_s()?;
    tokio::time::sleep(over).await;
    Ok((machine_busy_s()? - before) / over.as_secs_f64())
}

/// The 1-, 5- and 15-minute load averages.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// The machine the figures were taken on.
#[derive(Debug, Clone)]
pub struct Machine {
    pub nproc: usize,
    pub cpu_model: String,
    pub mem_gib: f64,
    pub kernel: String,
    pub date: String,
    pub fs: String,
}

impl Machine {
    pub fn describe(data_dir_parent: &Path) -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name")
                    .map(|r| r.trim_start_matches([' ', '\t', ':']).to_string())
            })
            .unwrap_or_else(|| "?".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let mem_gib =
            status_kib(&meminfo, "MemTotal:").map_or(f64::NAN, |k| k as f64 / 1024.0 / 1024.0);
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_string();
        Machine {
            nproc: std::thread::available_parallelism().map_or(0, |n| n.get()),
            cpu_model,
            mem_gib,
            kernel,
            date: command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
            fs: command_line(
                "df",
                &["--output=fstype", &data_dir_parent.display().to_string()],
            )
            .lines()
            .last()
            .unwrap_or("?")
            .trim()
            .to_string(),
        }
    }

    /// One markdown line.
    pub fn markdown(&self) -> String {
        format!(
            "{} cores ({}), {:.1} GiB RAM, Linux {}, temp-dir filesystem {}, {}",
            self.nproc, self.cpu_model, self.mem_gib, self.kernel, self.fs, self.date
        )
    }
}

/// Which server build was measured: the binary's hash and mtime, and the workspace's git
/// commit with the count of uncommitted changes under `server/` and `shared/`.
pub fn build_identity(server_bin: &Path, workspace: &Path) -> String {
    let bin = server_bin.display().to_string();
    let hash = command_line("sha256sum", &[&bin]);
    let hash = hash
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .chars()
        .take(12)
        .collect::<String>();
    let built = command_line("date", &["-u", "-r", &bin, "+%Y-%m-%d %H:%M UTC"]);
    let root = workspace.display().to_string();
    let head = command_line("git", &["-C", &root, "rev-parse", "--short", "HEAD"]);
    let dirty = command_line(
        "git",
        &[
            "-C",
            &root,
            "status",
            "--porcelain",
            "--",
            "server",
            "shared",
        ],
    );
    let dirty = dirty.lines().filter(|l| !l.trim().is_empty()).count();
    format!(
        "`{bin}` (sha256 {hash}…, built {built}) from git {head}{}",
        if dirty > 0 {
            format!(" + {dirty} uncommitted file(s) in server/ and shared/")
        } else {
            String::new()
        }
    )
}

fn command_line(cmd: &str, args: &[&str]) -> String {
    std::process::Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "?".into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn samples_this_process() {
        let s = super::sample("self").unwrap();
        assert!(s.rss_kib > 0 && s.hwm_kib >= s.rss_kib);
    }
}
