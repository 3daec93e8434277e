//! Temp dirs and files that no exit path leaves behind.
//!
//! A run makes temp dirs (the `files` workloads' fixture) and files (shared
//! memory in `/dev/shm`, Unix sockets). Each is named for its owner,
//! `tvp-<kind>-<pid>-<start>-<random>` (`<start>`: when the owner process
//! started, in clock ticks since boot, so a reused pid is not mistaken for
//! the owner), and removed:
//!
//! - on drop, the normal way out, an error or a panic included;
//! - on a signal that ends the run at once (a second Ctrl-C, a run still
//!   going after the grace period): [`crate::interrupt`] calls
//!   [`remove_registered`] before it exits, for every dir made with
//!   [`dir_in`] and still alive;
//! - after SIGKILL, which nothing can catch: the next `tvp run`, `tvp
//!   cores`, `tvp python` or bench sweeps the temp dir ([`sweep_stale`])
//!   and removes what belongs to an owner that is gone, and `tvp clean`
//!   does so on demand.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

/// What every name made here starts with.
pub const PREFIX: &str = "tvp-";

/// Paths of the live dirs made by [`dir_in`], for [`remove_registered`].
static REGISTERED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The name prefix for a temp path of `kind` owned by this process:
/// `tvp-<kind>-<pid>-<start>-`. Give it to `tempfile::Builder::prefix`.
pub fn prefix(kind: &str) -> String {
    format!(
        "{PREFIX}{kind}-{}-{}-",
        std::process::id(),
        own_start().unwrap_or(0)
    )
}

/// A temp dir named for its owner (see the module docs), removed on drop
/// and before a forced exit.
#[derive(Debug)]
pub struct ScratchDir {
    dir: Option<tempfile::TempDir>,
}

impl ScratchDir {
    pub fn path(&self) -> &Path {
        self.dir.as_ref().expect("a live scratch dir").path()
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let path = dir.path().to_path_buf();
            // Removed first, forgotten after: a forced exit in between
            // removes it again, which costs nothing.
            drop(dir);
            REGISTERED
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .retain(|p| *p != path);
        }
    }
}

/// Makes a temp dir of `kind` under `root` (see [`prefix`]).
pub fn dir_in(kind: &str, root: &Path) -> io::Result<ScratchDir> {
    let dir = tempfile::Builder::new()
        .prefix(&prefix(kind))
        .tempdir_in(root)?;
    REGISTERED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(dir.path().to_path_buf());
    Ok(ScratchDir { dir: Some(dir) })
}

/// Removes every dir made by [`dir_in`] that is still alive. Called just
/// before a forced exit, while other threads may still write into them:
/// each removal is tried a few times.
pub fn remove_registered() {
    let paths = REGISTERED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    for path in paths {
        remove_all(&path);
    }
}

/// Removes `path` (a dir and what is in it, or a file), trying again while
/// something recreates entries in it; a path already gone is fine.
fn remove_all(path: &Path) -> bool {
    for _ in 0..10 {
        let removed = match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return true,
            Err(_) => false,
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(path).is_ok(),
            Ok(_) => std::fs::remove_file(path).is_ok(),
        };
        if removed || !path.exists() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    false
}

/// The (pid, start) a name made by [`prefix`] carries: the two numbers
/// after `tvp-<kind>-`. `None` for a name of another shape.
pub fn owner_of(name: &str) -> Option<(u32, u64)> {
    let rest = name.strip_prefix(PREFIX)?;
    // The kind is letters, digits and `_`; then pid, start, random.
    let (_kind, rest) = rest.split_once('-')?;
    let mut parts = rest.splitn(3, '-');
    let pid = parts.next()?.parse().ok()?;
    let start = parts.next()?.parse().ok()?;
    parts.next()?;
    Some((pid, start))
}

/// Whether the process `pid` that started at `start` still runs. Where
/// `/proc` cannot tell (not Linux), every owner counts as alive.
pub fn owner_alive(pid: u32, start: u64) -> bool {
    if !Path::new("/proc/self/stat").exists() {
        return true;
    }
    match start_of(&pid.to_string()) {
        Some(now) => start == 0 || now == start,
        None => false,
    }
}

/// Removes the entries of `root` named by [`prefix`] whose owner is gone;
/// returns those removed. Entries of live owners, and names of any other
/// shape, are left alone.
pub fn sweep_stale(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some((pid, start)) = name.to_str().and_then(owner_of) else {
            continue;
        };
        if !owner_alive(pid, start) && remove_all(&entry.path()) {
            removed.push(entry.path());
        }
    }
    removed
}

/// The places temp paths are made: the temp dir (`$TMPDIR`) and
/// `/dev/shm`.
pub fn roots() -> Vec<PathBuf> {
    let mut roots = vec![std::env::temp_dir()];
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        roots.push(shm.to_path_buf());
    }
    roots
}

/// [`sweep_stale`] over every one of [`roots`].
pub fn sweep_all() -> Vec<PathBuf> {
    roots().iter().flat_map(|r| sweep_stale(r)).collect()
}

/// When this process started, in clock ticks since boot (field 22 of
/// `/proc/self/stat`).
fn own_start() -> Option<u64> {
    static START: OnceLock<Option<u64>> = OnceLock::new();
    *START.get_or_init(|| start_of("self"))
}

/// Field 22 (starttime) of `/proc/<pid>/stat`.
fn start_of(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) S ppid ...": comm may hold spaces and parentheses, so
    // count from the last ')'; starttime is the 20th field after it.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_their_owner() {
        let name = format!("{}abc123", prefix("files"));
        let (pid, start) = owner_of(&name).unwrap();
        assert_eq!(pid, std::process::id());
        assert!(owner_alive(pid, start), "{name}");
        assert_eq!(owner_of("tvp-files-abc"), None);
        assert_eq!(owner_of("tvp-files-12-34"), None);
        assert_eq!(owner_of("other-1-2-3"), None);
    }

    #[test]
    fn the_sweep_removes_only_what_a_gone_owner_left() {
        let root = tempfile::tempdir().unwrap();
        let mine = dir_in("files", root.path()).unwrap();
        // A pid above any pid_max is never alive; a live pid with another
        // start time is a reused pid.
        let dead = root.path().join("tvp-files-4194305-1-abcdef");
        let reused = root.path().join(format!(
            "tvp-shm-{}-{}-abcdef",
            std::process::id(),
            own_start().unwrap() + 1
        ));
        let other = root.path().join("tvp-files-not-ours");
        std::fs::create_dir(&dead).unwrap();
        std::fs::write(dead.join("item-3"), b"x").unwrap();
        std::fs::write(&reused, b"x").unwrap();
        std::fs::create_dir(&other).unwrap();
        let mut removed = sweep_stale(root.path());
        removed.sort();
        assert_eq!(removed, vec![dead.clone(), reused.clone()]);
        assert!(mine.path().exists() && other.exists());
        drop(mine);
    }

    #[test]
    fn a_dir_is_registered_while_it_lives() {
        // remove_registered() itself would remove other tests' dirs too:
        // this checks the list it reads, and the removal it does.
        let root = tempfile::tempdir().unwrap();
        let dir = dir_in("fault", root.path()).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/f"), b"x").unwrap();
        let path = dir.path().to_path_buf();
        assert!(REGISTERED.lock().unwrap().contains(&path));
        assert!(remove_all(&path) && !path.exists());
        assert!(remove_all(&path), "a path already gone is fine");
        drop(dir);
        assert!(!REGISTERED.lock().unwrap().contains(&path));
    }
}
