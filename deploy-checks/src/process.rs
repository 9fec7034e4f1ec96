//! Processes a test starts: their output goes to a log file, and they are stopped when
//! the guard drops, so a failing test leaves nothing running. Each must be a single
//! process or stop its own children on SIGTERM (nginx does).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Proc {
    /// Starts `command` with stdout and stderr appended to `<log_dir>/<name>.log`.
    pub fn spawn(name: &str, mut command: Command, log_dir: &Path) -> Proc {
        let log = log_dir.join(format!("{name}.log"));
        let out = File::create(&log).expect("create the process log");
        let err = out.try_clone().expect("clone the log handle");
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({command:?}): {e}"));
        Proc {
            name: name.to_owned(),
            child,
            log,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The end of the process's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.len().saturating_sub(30);
        format!(
            "--- last lines of {} ---\n{}",
            self.name,
            lines[start..].join("\n")
        )
    }

    /// Whether the process has exited (and how), without waiting.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Kills it at once (SIGKILL), like a crash, and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM (what Docker sends to a container's PID 1) and waits up to
    /// `timeout` for the process to exit; `None` if it is still running then.
    pub fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        assert!(self.send_term(), "could not send SIGTERM to {}", self.name);
        self.wait_exit(timeout)
    }

    fn send_term(&self) -> bool {
        Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .is_ok_and(|s| s.success())
    }

    fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Proc {
    /// SIGTERM first, SIGKILL if it is still there after a few seconds: a process
    /// with children of its own (nginx's master) only takes them down when asked —
    /// SIGKILL to the master would leave its workers running.
    fn drop(&mut self) {
        if self.exited().is_none()
            && !(self.send_term() && self.wait_exit(Duration::from_secs(10)).is_some())
        {
            self.kill();
        }
    }
}
