//! The simulated cluster of `scripts/sim-cluster.sh`, seen from tvp: whether
//! it is up, its hostfile and hosts, and its bandwidth limit. The tests of
//! ranks on several hosts and the `mpi` bench use it; the script does the
//! work (namespaces, links, the launcher agent) and needs root.
//!
//! Its hosts are network namespaces of this machine: they have their own
//! addresses, links and host names, but share this machine's cores, memory
//! and files. Ranks across them pay what the MPI protocol and the link
//! cost, never a real cluster's speedup.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};

/// The script, relative to the project directory.
pub const SCRIPT: &str = "scripts/sim-cluster.sh";

/// The simulated cluster, up.
#[derive(Debug, Clone)]
pub struct SimCluster {
    script: PathBuf,
    hostfile: PathBuf,
}

impl SimCluster {
    /// The cluster of the project at `project`, if it is up; otherwise the
    /// script's own words on why not (not root, no `ip netns`, not up).
    pub fn find(project: &Path) -> std::result::Result<SimCluster, String> {
        let script = project.join(SCRIPT);
        let out = Command::new(&script)
            .arg("status")
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr);
            return Err(format!("{said}{}", why.trim()));
        }
        Ok(SimCluster {
            script,
            hostfile: PathBuf::from(said),
        })
    }

    pub fn hostfile(&self) -> &Path {
        &self.hostfile
    }

    fn dir(&self) -> &Path {
        self.hostfile.parent().unwrap_or(Path::new("/"))
    }

    /// The hosts' names (their namespaces and host names), in hostfile order.
    pub fn hosts(&self) -> Result<Vec<String>> {
        let path = self.dir().join("hosts");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        Ok(text
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .map(String::from)
            .collect())
    }

    /// The bandwidth limit on every host's link (`tc` syntax, or `off`).
    pub fn rate(&self) -> Result<String> {
        let path = self.dir().join("rate");
        std::fs::read_to_string(&path)
            .map(|r| r.trim().to_string())
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))
    }

    /// Sets the bandwidth limit (`1gbit`, or `off`).
    pub fn set_rate(&self, rate: &str) -> Result<()> {
        self.script(&["limit", rate])
    }

    /// Takes `host`'s link down: the host stays, but nothing reaches it.
    pub fn unplug(&self, host: &str) -> Result<()> {
        self.script(&["unplug", host])
    }

    /// Brings `host`'s link back up.
    pub fn plug(&self, host: &str) -> Result<()> {
        self.script(&["plug", host])
    }

    fn script(&self, args: &[&str]) -> Result<()> {
        let out = Command::new(&self.script)
            .args(args)
            .output()
            .map_err(|e| Error::io(format!("cannot run {}", self.script.display()), e))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(Error::Mpi(format!(
                "`{} {}` failed: {}",
                self.script.display(),
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }
}
