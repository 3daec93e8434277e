//! `threading.RLock`: a lock the owning thread may take again, e.g. through recursion.
//!
//! Python:
//! ```python
//! lock = threading.RLock()
//! def walk(node, depth):
//!     with lock:                 # taken again at every level by the same thread: fine
//!         for child in node.children: walk(child, depth + 1)
//! ```
//! With a plain `threading.Lock` the second `with lock:` blocks forever: the thread waits
//! for itself. Rust's `parking_lot::ReentrantMutex` is the RLock; it counts how often its
//! owner took it and frees it when the last guard is dropped. It hands out only shared
//! references (two guards exist at once), so the data inside goes in a `RefCell`.
//!
//! What to look for: the depth climbs while the lock is held at every level; another
//! thread cannot get in meanwhile; a plain `Mutex`'s `try_lock` refuses the second lock.
//! Run: `cargo run --example rlock`

use parking_lot::ReentrantMutex;
use std::cell::RefCell;
use std::sync::{Mutex, TryLockError};

struct Node {
    name: &'static str,
    children: Vec<Node>,
}

fn leaf(name: &'static str) -> Node {
    Node {
        name,
        children: vec![],
    }
}

/// The shared state: the names visited so far, guarded by the re-entrant lock.
static VISITED: ReentrantMutex<RefCell<Vec<&'static str>>> =
    ReentrantMutex::new(RefCell::new(Vec::new()));

/// Walks the tree, holding the lock at every level (like a locked method calling itself).
fn walk(node: &Node, depth: usize) -> usize {
    let guard = VISITED.lock(); // the same thread takes it again: no deadlock
    let held = depth + 1; // one guard per level of recursion
    let indent = "  ".repeat(depth);
    println!(
        "{indent}depth {depth}: lock held {held} time(s) by this thread, visiting {:?}",
        node.name
    );
    guard.borrow_mut().push(node.name);
    if depth == 3 {
        // While we hold it (four times over), another thread must wait its turn.
        let other = std::thread::spawn(|| VISITED.try_lock().is_some())
            .join()
            .unwrap();
        println!("{indent}another thread: try_lock() got it? {other}");
    }
    let deepest = node.children.iter().map(|c| walk(c, depth + 1)).max();
    deepest.unwrap_or(depth)
} // guard dropped: one level released

fn main() {
    let tree = Node {
        name: "root",
        children: vec![
            Node {
                name: "a",
                children: vec![
                    leaf("a1"),
                    Node {
                        name: "a2",
                        children: vec![leaf("a2x")],
                    },
                ],
            },
            leaf("b"),
        ],
    };
    let max = walk(&tree, 0);
    let visited = VISITED.lock().borrow().clone();
    println!("RLock: re-entered up to depth {max}, visited {visited:?}");

    // A plain Mutex is not re-entrant. Its `lock()` from the thread that already holds it
    // never returns (std even leaves it open whether it deadlocks or panics), so ask
    // politely with `try_lock` instead.
    let plain = Mutex::new(0);
    let _first = plain.lock().unwrap();
    println!("plain Mutex: locked once; locking it again from the same thread...");
    match plain.try_lock() {
        Err(TryLockError::WouldBlock) => {
            println!(
                "plain Mutex: try_lock failed (WouldBlock): a blocking lock() here would deadlock"
            )
        }
        Ok(_) => println!("plain Mutex: try_lock succeeded (unexpected)"),
        Err(TryLockError::Poisoned(_)) => println!("plain Mutex: poisoned (unexpected)"),
    }
}
