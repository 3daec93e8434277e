//! Where MPI ranks run: this machine, or the hosts of an Open MPI hostfile,
//! with any extra `mpirun` options the user gives. Plain data, built without
//! the `mpi` feature too, so the command line can carry it; only the `mpi`
//! backends read it.
//!
//! - `tvp run --hostfile FILE` or `TVP_MPI_HOSTFILE=FILE`: the hosts, one a
//!   line (`node1 slots=4`), passed to `mpirun --hostfile`.
//! - `TVP_MPIRUN_ARGS="--mca btl_tcp_if_include eth0"`: extra options, split
//!   as a shell would split them, added to every `mpirun`.
//! - A hostfile line starting with `#tvp-mpirun-args:` adds the options that
//!   follow it. Open MPI reads the line as a comment; the simulated cluster of
//!   `scripts/sim-cluster.sh` uses it to name its launcher, so its hostfile
//!   alone is enough to reach its hosts.
//!
//! Options the user sets win: the backend leaves out its own `--mca` choice
//! of any parameter the user's options already set (mpirun refuses a
//! parameter given twice).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The environment variable naming a hostfile.
pub const HOSTFILE_ENV: &str = "TVP_MPI_HOSTFILE";
/// The environment variable holding extra `mpirun` options.
pub const MPIRUN_ARGS_ENV: &str = "TVP_MPIRUN_ARGS";
/// A hostfile line that starts with this adds the `mpirun` options after it.
pub const DIRECTIVE: &str = "#tvp-mpirun-args:";

/// Where the ranks of the `mpi` backends run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MpiHosts {
    /// An Open MPI hostfile; `None` runs every rank on this machine.
    pub hostfile: Option<PathBuf>,
    /// Extra `mpirun` options (from [`MPIRUN_ARGS_ENV`]).
    pub mpirun_args: Vec<String>,
}

impl MpiHosts {
    /// Every rank on this machine, no extra options.
    pub fn local() -> Self {
        Self::default()
    }

    /// From [`HOSTFILE_ENV`] and [`MPIRUN_ARGS_ENV`], unset meaning local and
    /// none.
    pub fn from_env() -> Result<Self> {
        let hostfile = std::env::var_os(HOSTFILE_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let mpirun_args = match std::env::var(MPIRUN_ARGS_ENV) {
            Ok(text) => split_args(&text, MPIRUN_ARGS_ENV)?,
            Err(std::env::VarError::NotPresent) => Vec::new(),
            Err(e) => return Err(Error::Mpi(format!("{MPIRUN_ARGS_ENV}: {e}"))),
        };
        Ok(MpiHosts {
            hostfile,
            mpirun_args,
        })
    }

    /// The same, with the ranks on the hosts of `hostfile`.
    pub fn with_hostfile(mut self, hostfile: impl Into<PathBuf>) -> Self {
        self.hostfile = Some(hostfile.into());
        self
    }

    /// Whether every rank runs on this machine.
    pub fn is_local(&self) -> bool {
        self.hostfile.is_none()
    }

    /// The options for `mpirun` that place the ranks: `--hostfile FILE`,
    /// the hostfile's own [`DIRECTIVE`] options, then [`Self::mpirun_args`].
    /// A hostfile that cannot be read is an error that names it.
    pub fn mpirun_options(&self) -> Result<Vec<String>> {
        let mut options = Vec::new();
        if let Some(file) = &self.hostfile {
            let text = read_hostfile(file)?;
            options.push("--hostfile".to_string());
            options.push(file.display().to_string());
            for line in text.lines() {
                if let Some(args) = line.trim().strip_prefix(DIRECTIVE) {
                    options.extend(split_args(args, &file.display().to_string())?);
                }
            }
        }
        options.extend(self.mpirun_args.iter().cloned());
        Ok(options)
    }

    /// The host names the hostfile lists, in order (empty when local).
    pub fn names(&self) -> Result<Vec<String>> {
        let Some(file) = &self.hostfile else {
            return Ok(Vec::new());
        };
        Ok(read_hostfile(file)?
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter_map(|l| l.split_whitespace().next())
            .map(String::from)
            .collect())
    }
}

fn read_hostfile(file: &Path) -> Result<String> {
    std::fs::read_to_string(file).map_err(|e| {
        Error::io(
            format!(
                "cannot read the MPI hostfile {} (from --hostfile or {HOSTFILE_ENV}); it lists \
                 one host a line, such as `node1 slots=4`",
                file.display()
            ),
            e,
        )
    })
}

/// Splits `text` as a POSIX shell would; `from` names where it came from.
fn split_args(text: &str, from: &str) -> Result<Vec<String>> {
    shlex::split(text).ok_or_else(|| {
        Error::Mpi(format!(
            "cannot split the mpirun options in {from} (an unclosed quote?): {text:?}"
        ))
    })
}

/// Whether `args` set the MCA parameter `param` (`--mca param value` or
/// `-mca param value`).
pub fn sets_mca(args: &[String], param: &str) -> bool {
    args.windows(2)
        .any(|w| (w[0] == "--mca" || w[0] == "-mca") && w[1] == param)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_hosts_add_nothing() {
        assert!(MpiHosts::local().is_local());
        assert_eq!(
            MpiHosts::local().mpirun_options().unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_hostfile_adds_itself_its_directives_and_the_users_options() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hosts");
        std::fs::write(
            &file,
            "# two hosts\n#tvp-mpirun-args: --mca plm_rsh_agent '/a b/agent' --mca routed direct\n\
             node1 slots=2\nnode2 # the second\n",
        )
        .unwrap();
        let hosts = MpiHosts {
            hostfile: Some(file.clone()),
            mpirun_args: vec!["--oversubscribe".into()],
        };
        let options = hosts.mpirun_options().unwrap();
        assert_eq!(
            options[..2],
            ["--hostfile".to_string(), file.display().to_string()]
        );
        assert_eq!(
            options[2..],
            [
                "--mca",
                "plm_rsh_agent",
                "/a b/agent",
                "--mca",
                "routed",
                "direct",
                "--oversubscribe"
            ]
        );
        assert!(sets_mca(&options, "routed") && !sets_mca(&options, "btl"));
        assert_eq!(hosts.names().unwrap(), ["node1", "node2"]);
    }

    #[test]
    fn a_missing_hostfile_and_a_broken_quote_are_named() {
        let hosts = MpiHosts::local().with_hostfile("/nonexistent/hosts");
        let err = hosts.mpirun_options().unwrap_err().to_string();
        assert!(
            err.contains("/nonexistent/hosts") && err.contains("slots"),
            "{err}"
        );
        let err = split_args("--mca btl 'self", "X").unwrap_err().to_string();
        assert!(err.contains("unclosed quote"), "{err}");
    }
}
