//! The glossary (`glossary.html`): every term the lessons and pages use,
//! defined once in [`TERMS`], and [`link_first_uses`], the one helper that
//! links a page's first use of each term to its entry.
//!
//! Why under `lessons/`: the glossary is a teaching page like the lessons'
//! introduction, written with or without data, and read beside the
//! lessons; the data pages in `pages/` are each built from a bench's
//! results.
//!
//! Lesson and page sources stay plain prose: no markup per term. After every
//! page is built, [`add_to_report`] links the first use of each term in each
//! body (outside code, links, headings and table headers) to its anchor,
//! once per page, then appends the glossary page, whose entries list the
//! pages that use them. So a sentence a page writes from data tomorrow is
//! linked too, a term cannot be linked on one page and not on another, and
//! the anchors come from [`TERMS`] alone: a term whose words no page uses
//! any more fails a test instead of lingering.
//!
//! A definition says what a term means on every machine: mechanism only,
//! no measured number (a test finds no digit outside `<code>`).

use std::sync::LazyLock;

use regex::Regex;

use crate::report::{PageOut, html};

/// The glossary's file.
pub const FILE: &str = "glossary.html";

/// One entry of the glossary.
#[derive(Debug)]
pub struct Term {
    /// The anchor: `glossary.html#<id>`.
    pub id: &'static str,
    /// The heading of the entry.
    pub name: &'static str,
    /// The section of the glossary it sits in (see [`SECTIONS`]).
    pub section: &'static str,
    /// How it appears in running text: whole words, longest first wins. A
    /// form with a capital letter matches only as written (`GIL`, `PSS`);
    /// the others in any case.
    pub forms: &'static [&'static str],
    /// One or two sentences, HTML.
    pub definition: &'static str,
}

/// The glossary's sections, in order.
pub const SECTIONS: &[&str] = &[
    "Measuring parallel speed",
    "Sharing out the work",
    "Cores and the scheduler",
    "Locks and shared memory",
    "Starting processes and talking to them",
    "Memory",
    "Noise",
    "Waiting",
];

/// Every term, in the glossary's order.
pub const TERMS: &[Term] = &[
    Term {
        id: "speedup",
        name: "Speedup",
        section: "Measuring parallel speed",
        forms: &["speedup", "speedups", "speed-up", "speed-ups"],
        definition: "The time of the sequential run of a job divided by the time of a \
                     parallel run of the same job on the same machine: twice the speed means \
                     half the time. The report divides by the <code>sequential</code> \
                     backend's median, so a slow or fast sequential run moves every line.",
    },
    Term {
        id: "efficiency",
        name: "Efficiency",
        section: "Measuring parallel speed",
        forms: &["efficiency", "efficiencies"],
        definition: "Speedup divided by the number of workers that produced it: the share of \
                     the added workers' capacity that became speed. Speedup above the worker \
                     count (efficiency above the whole) is a baseline effect or noise, never a \
                     core doing more than its own work.",
    },
    Term {
        id: "amdahl",
        name: "Amdahl's law",
        section: "Measuring parallel speed",
        forms: &["Amdahl"],
        definition: "If a share <code>s</code> of a job's single-worker time cannot be split, \
                     <code>N</code> workers make it at most <code>1 / (s + (1 - s) / N)</code> \
                     times faster, and no number of workers takes it past <code>1 / s</code>. \
                     The law assumes the rest splits perfectly; real runs also lose time to \
                     load imbalance and to shared resources.",
    },
    Term {
        id: "serial-fraction",
        name: "Serial fraction",
        section: "Measuring parallel speed",
        forms: &["serial fraction", "serial fractions", "serial part"],
        definition: "The share of a job's single-worker time that runs on one worker however \
                     many there are: start-up, combining results, a section under a lock. \
                     Fitting Amdahl's law to measured speedups estimates it, but load \
                     imbalance and a saturated memory path lower speedup in the same way, so \
                     the report fits it only from three or more core counts and names the \
                     other causes where it measured them.",
    },
    Term {
        id: "cpu-bound",
        name: "CPU-bound",
        section: "Measuring parallel speed",
        forms: &["CPU-bound", "CPU bound"],
        definition: "Work whose speed is set by how fast the cores compute: it scales with \
                     the cores until the workers outnumber them.",
    },
    Term {
        id: "memory-bound",
        name: "Memory-bound",
        section: "Measuring parallel speed",
        forms: &["memory-bound", "memory bound"],
        definition: "Work whose speed is set by how fast data moves between memory and the \
                     cores rather than by computing: once that path is saturated, more \
                     workers add no speed, possibly before the cores run out.",
    },
    Term {
        id: "io-bound",
        name: "IO-bound",
        section: "Measuring parallel speed",
        forms: &["IO-bound", "I/O-bound", "IO bound"],
        definition: "Work that spends its time waiting for a device, a network or another \
                     program. Waiting needs no core, so waits overlap far past the core \
                     count, even under the GIL.",
    },
    Term {
        id: "load-imbalance",
        name: "Load imbalance",
        section: "Sharing out the work",
        forms: &[
            "load imbalance",
            "load balancing",
            "load-balancing",
            "load balance",
            "imbalance",
        ],
        definition: "Workers that finished their share sitting idle while the slowest one \
                     still works: a run lasts as long as its busiest worker. It comes from \
                     chunks of unequal cost, and more, smaller chunks handed out as workers \
                     free up (dynamic scheduling) shrink it.",
    },
    Term {
        id: "chunk",
        name: "Chunk, chunk size",
        section: "Sharing out the work",
        forms: &["chunk size", "chunk sizes", "chunk", "chunks", "chunksize"],
        definition: "A contiguous piece of the input handed to a worker as one unit; the \
                     chunk size is the number of items in it (Python's \
                     <code>chunksize</code>). Large chunks cost few hand-outs but balance \
                     poorly; small ones balance well but pay for a hand-out each.",
    },
    Term {
        id: "work-stealing",
        name: "Work stealing",
        section: "Sharing out the work",
        forms: &["work stealing", "work-stealing"],
        definition: "Scheduling in which every worker thread keeps its own queue of tasks and \
                     an idle one takes tasks from another's queue, so work moves to whoever \
                     is free without one central queue for all (rayon, tokio's multi-thread \
                     runtime).",
    },
    Term {
        id: "time-slice",
        name: "Time slice, time-slicing",
        section: "Cores and the scheduler",
        forms: &[
            "time slice",
            "time slices",
            "time-slicing",
            "time slicing",
            "time-sliced",
            "slice of time",
        ],
        definition: "A time slice is how long the kernel's scheduler lets a thread run on a \
                     core before it may switch to another ready one. Time-slicing is one core \
                     shared by more ready threads than cores, in turns: each makes progress, \
                     none runs faster, and together they take as long as their CPU times \
                     added up.",
    },
    Term {
        id: "context-switch",
        name: "Context switch",
        section: "Cores and the scheduler",
        forms: &[
            "context switch",
            "context switches",
            "context-switch",
            "context switching",
        ],
        definition: "The kernel stopping one thread on a core and resuming another: it saves \
                     and restores the registers and, between processes, switches the address \
                     space. The new thread also finds colder caches.",
    },
    Term {
        id: "futex",
        name: "Futex",
        section: "Locks and shared memory",
        forms: &["futex", "futexes"],
        definition: "Linux's fast user-space mutex: a word in memory that threads change with \
                     atomic instructions, entering the kernel only to sleep while it is taken \
                     or to wake a sleeper. Rust's <code>Mutex</code> is built on one, and a \
                     futex in shared memory works between processes.",
    },
    Term {
        id: "mutex",
        name: "Mutex (lock)",
        section: "Locks and shared memory",
        forms: &["mutex", "mutexes", "lock", "locks"],
        definition: "A lock that lets one thread at a time run its critical section; the \
                     others wait until it is released (Python's <code>Lock</code>, Rust's \
                     <code>Mutex</code>, which also owns the data it guards).",
    },
    Term {
        id: "rwlock",
        name: "Read-write lock (rwlock)",
        section: "Locks and shared memory",
        forms: &[
            "rwlock",
            "rwlocks",
            "read-write lock",
            "readers-writer lock",
        ],
        definition: "A lock that lets in many readers at once or one writer alone (Rust's \
                     <code>RwLock</code>): it gains over a mutex when most sections only \
                     read.",
    },
    Term {
        id: "reentrant-lock",
        name: "Reentrant lock",
        section: "Locks and shared memory",
        forms: &[
            "reentrant lock",
            "re-entrant lock",
            "reentrant",
            "re-entrant",
            "RLock",
        ],
        definition: "A lock its holder may take again without waiting for itself, free again \
                     once every acquisition is released (Python's <code>RLock</code>, \
                     <code>parking_lot::ReentrantMutex</code>). A plain mutex taken twice by \
                     one thread waits forever.",
    },
    Term {
        id: "atomic",
        name: "Atomic operation",
        section: "Locks and shared memory",
        forms: &["atomic", "atomics", "atomically"],
        definition: "An operation on one memory word that other cores see whole, never half \
                     done. A read-modify-write such as <code>fetch_add</code> is one \
                     indivisible step, so concurrent increments are never lost and no lock is \
                     needed; the word's cache line still has to move to every core that \
                     writes it.",
    },
    Term {
        id: "cache-line",
        name: "Cache line",
        section: "Locks and shared memory",
        forms: &["cache line", "cache lines", "cache-line"],
        definition: "The block of memory that caches hold and cores pass between them as one \
                     unit. A core must own a line alone to write any byte of it, so every \
                     write by another core takes the line away.",
    },
    Term {
        id: "false-sharing",
        name: "False sharing",
        section: "Locks and shared memory",
        forms: &["false sharing", "false-sharing"],
        definition: "Threads writing different variables that happen to lie on one cache \
                     line: the line moves between their cores on every write, as if they \
                     shared the data. Padding each variable to a line of its own cures it.",
    },
    Term {
        id: "gil",
        name: "GIL (global interpreter lock)",
        section: "Locks and shared memory",
        forms: &["GIL", "global interpreter lock"],
        definition: "CPython's lock that a thread must hold to run Python bytecode, so one \
                     thread at a time computes in Python. It is released around blocking IO \
                     and in many C extensions; the free-threaded build has none.",
    },
    Term {
        id: "fork",
        name: "fork",
        section: "Starting processes and talking to them",
        forms: &["fork", "forked", "forks", "forking"],
        definition: "The Unix call that starts a child as a copy of its parent: the same \
                     memory (shared copy-on-write), the same open files, and only the thread \
                     that called it. Python's <code>fork</code> start method uses it.",
    },
    Term {
        id: "spawn",
        name: "spawn",
        section: "Starting processes and talking to them",
        forms: &["spawn", "spawns", "spawned", "spawning"],
        definition: "Starting a new process that runs a program from its beginning, inheriting \
                     no memory (Rust's <code>std::process::Command</code>). Python's \
                     <code>spawn</code> start method runs a fresh interpreter that imports the \
                     main module again and receives its arguments serialized.",
    },
    Term {
        id: "fork-server",
        name: "Fork server (forkserver)",
        section: "Starting processes and talking to them",
        forms: &["forkserver", "fork server", "fork-server"],
        definition: "A small process started early, while the program has one thread and \
                     little memory, that forks every new child from itself on request \
                     (Python's <code>forkserver</code> start method): the fork is cheap and \
                     safe, and the arguments still travel serialized.",
    },
    Term {
        id: "copy-on-write",
        name: "Copy-on-write",
        section: "Starting processes and talking to them",
        forms: &["copy-on-write", "copy on write"],
        definition: "After a fork, parent and child share every memory page read-only; the \
                     kernel copies a page only when one of them writes to it. A fork \
                     therefore copies page tables, not memory.",
    },
    Term {
        id: "ipc",
        name: "IPC (inter-process communication)",
        section: "Starting processes and talking to them",
        forms: &[
            "IPC",
            "inter-process communication",
            "interprocess communication",
        ],
        definition: "Any way processes exchange data: pipes, sockets, shared memory, signals. \
                     All but shared memory copy every byte into the kernel and out again.",
    },
    Term {
        id: "pipe",
        name: "Pipe",
        section: "Starting processes and talking to them",
        forms: &["pipe", "pipes"],
        definition: "A one-way byte stream through a kernel buffer: a write copies bytes in, a \
                     read copies them out; the writer blocks while the buffer is full and the \
                     reader while it is empty.",
    },
    Term {
        id: "serialization",
        name: "Serialization",
        section: "Starting processes and talking to them",
        forms: &[
            "serialization",
            "serialisation",
            "serialized",
            "serialised",
            "serialize",
            "serialise",
            "pickled",
            "pickling",
            "pickle",
        ],
        definition: "Turning a value into bytes that can cross to another process or machine \
                     and be turned back (Python's <code>pickle</code>, JSON, Rust's serde \
                     formats). It costs time on both sides, a part per message and a part per \
                     byte.",
    },
    Term {
        id: "rss",
        name: "RSS (resident set size)",
        section: "Memory",
        forms: &["RSS", "resident set size"],
        definition: "The memory of a process that sits in RAM now, counting in full every \
                     page it shares with other processes: added over a pool of processes, it \
                     counts shared pages once per process.",
    },
    Term {
        id: "pss",
        name: "PSS (proportional set size)",
        section: "Memory",
        forms: &["PSS", "proportional set size"],
        definition: "Resident memory with each shared page divided among the processes that \
                     share it, so the PSS of a group of processes adds up to what they use \
                     together. The report measures memory per worker with it.",
    },
    Term {
        id: "uss",
        name: "USS (unique set size)",
        section: "Memory",
        forms: &["USS", "unique set size"],
        definition: "The resident memory that only this process uses: what its exit would \
                     free.",
    },
    Term {
        id: "spread",
        name: "Run-to-run spread",
        section: "Noise",
        // Not a bare "spread": "a fixed cost spread over more bytes" is
        // another sense.
        forms: &[
            "run-to-run spread",
            "run-to-run",
            "spread between",
            "spread within",
            "spreads",
        ],
        definition: "How far the same measurement moves between repetitions. The report gives \
                     it beside a median as a share of it (half its confidence interval); two \
                     numbers closer than their spread are not told apart.",
    },
    Term {
        id: "confidence-interval",
        name: "Confidence interval",
        section: "Noise",
        forms: &["confidence interval", "confidence intervals"],
        definition: "The range that, by criterion's resampling of one run's samples, holds \
                     the true median with the stated confidence. It describes that run only: \
                     another run on a busier or quieter machine may land outside it.",
    },
    Term {
        id: "noise",
        name: "Noise",
        section: "Noise",
        forms: &["noise", "noisy"],
        definition: "Variation in a measurement that does not come from the code measured: \
                     other programs, frequency scaling, interrupts, where memory and threads \
                     were placed, and on a virtual machine the host's other guests, which can \
                     slow the same code for seconds at a time without the guest seeing why. \
                     A busy machine adds more of it; a difference within it is no result.",
    },
    Term {
        id: "shared-core",
        name: "Shared core",
        section: "Noise",
        forms: &["shared core", "core shared", "hyperthread sibling"],
        definition: "A physical core running two threads at once (hyperthreading, SMT), each \
                     taking execution units the other could use. Code of many independent \
                     operations slows when its sibling is busy; a chain of operations, each \
                     waiting for the last, hardly does. On a virtual machine the sibling may \
                     run another guest, so two workloads can repeat differently on one \
                     machine. The scaling bench probes for it after each group.",
    },
    Term {
        id: "async-task",
        name: "Async task",
        section: "Waiting",
        forms: &["async task", "async tasks", "asyncio task", "asyncio tasks"],
        definition: "A unit of work that an event loop runs until it awaits something not \
                     ready, then sets aside until it is (a coroutine in asyncio, a future in \
                     tokio). A task costs one small allocation, but tasks on one thread never \
                     compute at the same time.",
    },
    Term {
        id: "event-loop",
        name: "Event loop",
        section: "Waiting",
        forms: &["event loop", "event loops"],
        definition: "A loop on one thread that runs ready tasks one at a time and asks the \
                     kernel (<code>epoll</code>) or its timers which waits are over. A task \
                     that computes without awaiting holds up every other.",
    },
];

/// The term `id`, if there is one.
pub fn term(id: &str) -> Option<&'static Term> {
    TERMS.iter().find(|t| t.id == id)
}

/// The link to a term's entry from another page.
pub fn href(id: &str) -> String {
    format!("{FILE}#{id}")
}

/// Elements whose text is never linked: code, existing links, headings,
/// table headers and the like.
const QUIET: &[&str] = &[
    "a", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "summary", "nav", "th", "title",
    "style", "script", "svg",
];

/// Whether `form` matches only as written (it has a capital letter).
fn exact_case(form: &str) -> bool {
    form.chars().any(|c| c.is_ascii_uppercase())
}

/// Every form of every term, longest first, as one pattern.
static FORMS: LazyLock<Regex> = LazyLock::new(|| {
    let mut forms: Vec<&str> = TERMS.iter().flat_map(|t| t.forms.iter().copied()).collect();
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    let alternatives: Vec<String> = forms
        .iter()
        .map(|f| {
            let escaped = regex::escape(f);
            if exact_case(f) {
                escaped
            } else {
                format!("(?i:{escaped})")
            }
        })
        .collect();
    Regex::new(&format!(r"\b(?:{})\b", alternatives.join("|"))).expect("the forms are literal")
});

/// The term `matched` (a match of [`FORMS`]) is a form of.
fn term_of(matched: &str) -> Option<&'static Term> {
    TERMS.iter().find(|t| {
        t.forms.iter().any(|f| {
            if exact_case(f) {
                *f == matched
            } else {
                f.eq_ignore_ascii_case(matched)
            }
        })
    })
}

/// The uses of terms in `text` (plain text between tags): the byte range
/// and the term of each. A match that is part of a longer hyphenated word
/// (`process-mutex`) is none.
pub fn uses(text: &str) -> Vec<(std::ops::Range<usize>, &'static Term)> {
    FORMS
        .find_iter(text)
        .filter(|m| {
            let before = text[..m.start()].chars().next_back();
            let after = text[m.end()..].chars().next();
            before != Some('-') && after != Some('-')
        })
        .filter_map(|m| term_of(m.as_str()).map(|t| (m.range(), t)))
        .collect()
}

/// A piece of an HTML body: a tag, or text outside every tag.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Piece<'a> {
    /// A whole tag, `<` to `>`.
    Tag(&'a str),
    /// Text, and whether it is inside an element that is never linked.
    Text(&'a str, bool),
}

/// `html` cut into tags and text, each text marked quiet when it sits
/// inside an element of `QUIET`. The report's HTML is ours and well
/// formed: text never holds a raw `<`.
pub fn pieces(html: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut quiet = 0usize;
    let mut rest = html;
    while !rest.is_empty() {
        if rest.starts_with('<') {
            let end = rest.find('>').map_or(rest.len(), |i| i + 1);
            let tag = &rest[..end];
            let closing = tag.starts_with("</");
            let name: String = tag
                .trim_start_matches(['<', '/'])
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            if QUIET.contains(&name.as_str()) && !tag.ends_with("/>") {
                if closing {
                    quiet = quiet.saturating_sub(1);
                } else {
                    quiet += 1;
                }
            }
            out.push(Piece::Tag(tag));
            rest = &rest[end..];
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            out.push(Piece::Text(&rest[..end], quiet > 0));
            rest = &rest[end..];
        }
    }
    out
}

/// The opening tag of a link to term `id` whose entry is at `target`
/// (`glossary.html`, or empty on the glossary itself).
fn link_open(target: &str, id: &str) -> String {
    format!("<a class=\"term\" href=\"{target}#{id}\">")
}

/// `html` with the first use of each term linked to its entry at `target`
/// (`<a class="term" href="TARGET#ID">`), once each, except `skip`; and the ids linked, in
/// order.
pub fn link_first_uses(
    html: &str,
    target: &str,
    skip: Option<&str>,
) -> (String, Vec<&'static str>) {
    let mut linked: Vec<&'static str> = Vec::new();
    let mut out = String::with_capacity(html.len() + 512);
    for piece in pieces(html) {
        match piece {
            Piece::Tag(tag) => out.push_str(tag),
            Piece::Text(text, true) => out.push_str(text),
            Piece::Text(text, false) => {
                let mut at = 0;
                for (range, term) in uses(text) {
                    if linked.contains(&term.id) || skip == Some(term.id) {
                        continue;
                    }
                    linked.push(term.id);
                    out.push_str(&text[at..range.start]);
                    out.push_str(&link_open(target, term.id));
                    out.push_str(&text[range.clone()]);
                    out.push_str("</a>");
                    at = range.end;
                }
                out.push_str(&text[at..]);
            }
        }
    }
    (out, linked)
}

/// `html` without the term links [`link_first_uses`] added.
pub fn unlinked(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_term = false;
    for piece in pieces(html) {
        match piece {
            Piece::Tag(tag) if tag.starts_with("<a class=\"term\"") => in_term = true,
            Piece::Tag("</a>") if in_term => in_term = false,
            Piece::Tag(tag) => out.push_str(tag),
            Piece::Text(text, _) => out.push_str(text),
        }
    }
    out
}

/// Links the first use of each term in every page of `built` (the whole
/// report, the front page first) and appends the glossary page, whose
/// entries name the pages that use them.
pub fn add_to_report(built: &mut Vec<PageOut>) {
    let mut used_in: Vec<Vec<(String, String)>> = vec![Vec::new(); TERMS.len()];
    for page in built.iter_mut() {
        let (body, linked) = link_first_uses(&page.body, FILE, None);
        page.body = body;
        for id in linked {
            let i = TERMS
                .iter()
                .position(|t| t.id == id)
                .expect("linked ids are terms");
            used_in[i].push((page.file.clone(), page.title.clone()));
        }
    }
    built.push(page(&used_in));
}

const INTRO: &str = "<p>The words the lessons and pages use, each defined once. Every page \
     links the first use of a term to its entry here; under each entry are the pages of this \
     report that use it. A definition says what a term means on every machine; what it \
     amounts to on this one is on the pages.</p>\n";

/// The glossary page; `used_in[i]` lists the (file, title) of the pages
/// that use `TERMS[i]`.
fn page(used_in: &[Vec<(String, String)>]) -> PageOut {
    let mut body = String::from(INTRO);
    let mut index: Vec<&Term> = TERMS.iter().collect();
    index.sort_by_key(|t| t.name.to_lowercase());
    let index: Vec<String> = index
        .iter()
        .map(|t| format!("<a href=\"#{}\">{}</a>", t.id, html::escape(t.name)))
        .collect();
    body.push_str(&format!(
        "<p class=\"glossary-index\">{}</p>\n",
        index.join(" &middot; ")
    ));
    for section in SECTIONS {
        body.push_str(&format!(
            "<h2>{}</h2>\n<dl class=\"glossary\">\n",
            html::escape(section)
        ));
        for (i, term) in TERMS
            .iter()
            .enumerate()
            .filter(|(_, t)| t.section == *section)
        {
            // Within the glossary, an entry links the other terms it uses.
            let (definition, _) = link_first_uses(term.definition, "", Some(term.id));
            let pages: Vec<String> = used_in[i]
                .iter()
                .map(|(file, title)| {
                    format!(
                        "<a href=\"{}\">{}</a>",
                        html::escape(file),
                        html::escape(title)
                    )
                })
                .collect();
            let used = if pages.is_empty() {
                "No page of this report uses it yet.".to_string()
            } else {
                format!("Used in: {}.", pages.join(", "))
            };
            body.push_str(&format!(
                "<dt id=\"{}\">{}</dt>\n<dd><p>{definition}</p>\n<p class=\"used-in\">{used}</p></dd>\n",
                term.id,
                html::escape(term.name)
            ));
        }
        body.push_str("</dl>\n");
    }
    PageOut {
        file: FILE.into(),
        title: "Glossary".into(),
        nav: "Glossary".into(),
        body,
        ..PageOut::default()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn no_term_is_defined_twice() {
        let mut ids = BTreeSet::new();
        let mut names = BTreeSet::new();
        let mut forms = BTreeSet::new();
        for t in TERMS {
            assert!(ids.insert(t.id), "two terms with id {}", t.id);
            assert!(
                names.insert(t.name.to_lowercase()),
                "two entries {}",
                t.name
            );
            assert!(
                SECTIONS.contains(&t.section),
                "{}: no section {}",
                t.id,
                t.section
            );
            assert!(!t.forms.is_empty(), "{} has no form", t.id);
            for f in t.forms {
                assert!(
                    forms.insert(f.to_lowercase()),
                    "the form {f:?} belongs to two terms"
                );
            }
            assert!(
                t.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}: an anchor is lower case with dashes",
                t.id
            );
        }
        for s in SECTIONS {
            assert!(
                TERMS.iter().any(|t| t.section == *s),
                "section {s} is empty"
            );
        }
    }

    #[test]
    fn definitions_hold_no_number_outside_code() {
        for t in TERMS {
            let prose: String = pieces(t.definition)
                .iter()
                .filter_map(|p| match p {
                    Piece::Text(text, false) => Some(*text),
                    _ => None,
                })
                .collect();
            assert!(
                !prose.chars().any(|c| c.is_ascii_digit()),
                "{}: a definition must hold on every machine: {prose}",
                t.id
            );
        }
    }

    #[test]
    fn each_form_finds_its_own_term() {
        for t in TERMS {
            for f in t.forms {
                let text = format!("Before {f}, after.");
                let found = uses(&text);
                assert_eq!(found.len(), 1, "{f:?}: {found:?}");
                assert_eq!(found[0].1.id, t.id, "{f:?}");
                assert_eq!(&text[found[0].0.clone()], *f);
            }
        }
    }

    #[test]
    fn only_first_uses_outside_code_and_links_are_linked() {
        let html = "<h2>Speedup</h2><p>The <code>speedup</code> and the \
                    <a href=\"x\">speedup</a>: a Speedup, then a speedup and a GIL, not a gil \
                    nor a process-mutex; a work-stealing pool, a fork server.</p>";
        let (out, linked) = link_first_uses(html, FILE, None);
        assert_eq!(linked, ["speedup", "gil", "work-stealing", "fork-server"]);
        assert!(out.contains(
            "a <a class=\"term\" href=\"glossary.html#speedup\">Speedup</a>, then a speedup"
        ));
        assert!(out.contains("<h2>Speedup</h2><p>The <code>speedup</code>"));
        assert!(out.contains("<a class=\"term\" href=\"glossary.html#gil\">GIL</a>, not a gil"));
        assert!(out.contains("nor a process-mutex;"));
        assert_eq!(unlinked(&out), html);
        let (own, linked) = link_first_uses("a speedup and its efficiency", "", Some("speedup"));
        assert_eq!(linked, ["efficiency"]);
        assert_eq!(
            own,
            "a speedup and its <a class=\"term\" href=\"#efficiency\">efficiency</a>"
        );
    }

    #[test]
    fn the_page_has_an_anchor_per_term_and_names_the_pages_using_it() {
        let mut built = vec![PageOut {
            file: "lesson-1-x.html".into(),
            title: "Lesson 1: X".into(),
            body: "<p>More speedup than cores.</p>".into(),
            ..PageOut::default()
        }];
        add_to_report(&mut built);
        assert!(built[0].body.contains("href=\"glossary.html#speedup\""));
        let glossary = &built[1];
        assert_eq!(
            (glossary.file.as_str(), glossary.nav.as_str()),
            (FILE, "Glossary")
        );
        for t in TERMS {
            assert_eq!(
                glossary.body.matches(&format!("id=\"{}\"", t.id)).count(),
                1,
                "{}",
                t.id
            );
        }
        let speedup = glossary.body.split("id=\"speedup\"").nth(1).unwrap();
        let speedup = speedup.split("</dd>").next().unwrap();
        assert!(
            speedup.contains("Used in: <a href=\"lesson-1-x.html\">Lesson 1: X</a>."),
            "{speedup}"
        );
        assert!(
            glossary
                .body
                .contains("No page of this report uses it yet.")
        );
    }

    /// Reads a linked body: every term link goes to an entry that exists,
    /// each term is linked at most once, and no use of a term comes before
    /// its link (outside code, links and headings). Returns the terms
    /// linked.
    fn check_first_uses(body: &str) -> Result<BTreeSet<&'static str>, String> {
        let mut linked = BTreeSet::new();
        let mut in_link: Option<&'static str> = None;
        for piece in pieces(body) {
            match piece {
                Piece::Tag(tag) if tag.starts_with("<a class=\"term\"") => {
                    let id = tag
                        .split_once("#")
                        .and_then(|(_, rest)| rest.split_once('"'))
                        .map(|(id, _)| id)
                        .ok_or(format!("a term link without an anchor: {tag}"))?;
                    let term = term(id).ok_or(format!("a link to no term: {tag}"))?;
                    if tag != link_open(FILE, term.id) {
                        return Err(format!("a term link not to {FILE}: {tag}"));
                    }
                    if !linked.insert(term.id) {
                        return Err(format!("{id} is linked twice"));
                    }
                    in_link = Some(term.id);
                }
                Piece::Tag("</a>") => in_link = None,
                Piece::Tag(_) | Piece::Text(_, true) => {}
                Piece::Text(text, false) => {
                    if let Some(id) = in_link {
                        let found = uses(text);
                        if found.len() != 1 || found[0].1.id != id {
                            return Err(format!("the link to {id} holds {text:?}"));
                        }
                        continue;
                    }
                    for (range, t) in uses(text) {
                        if !linked.contains(t.id) {
                            return Err(format!(
                                "{:?} uses {} before any link to it: {text:?}",
                                &text[range], t.id
                            ));
                        }
                    }
                }
            }
        }
        Ok(linked)
    }

    #[test]
    fn every_page_links_the_first_use_of_every_term_it_uses() {
        let mut used = BTreeSet::new();
        for set in [crate::report::datasets::reference()] {
            let dir = tempfile::tempdir().unwrap();
            let (pages, _) = crate::report::datasets::render(&set, dir.path());
            let lessons = pages
                .iter()
                .filter(|p| p.file.starts_with("lesson-"))
                .count();
            assert_eq!(lessons, super::super::LESSONS.len());
            for page in pages.iter().filter(|p| p.file != FILE) {
                match check_first_uses(&page.body) {
                    Ok(linked) => used.extend(linked),
                    Err(e) => panic!("{} / {}: {e}", set.name, page.file),
                }
            }
            let glossary = pages.last().unwrap();
            assert_eq!(glossary.file, FILE, "the glossary comes last");
        }
        let unused: Vec<&str> = TERMS
            .iter()
            .map(|t| t.id)
            .filter(|id| !used.contains(id))
            .collect();
        assert!(
            unused.is_empty(),
            "no page of the reference report uses {unused:?}: a renamed term, or one to drop"
        );
    }

    #[test]
    fn the_checker_finds_a_use_before_its_link() {
        let (ok, _) = link_first_uses("<p>a speedup, a speedup</p>", FILE, None);
        assert!(check_first_uses(&ok).is_ok());
        let late =
            "<p>a speedup, a <a class=\"term\" href=\"glossary.html#speedup\">speedup</a></p>";
        assert!(
            check_first_uses(late)
                .unwrap_err()
                .contains("before any link")
        );
        let twice = format!("{ok}{ok}");
        assert!(
            check_first_uses(&twice)
                .unwrap_err()
                .contains("linked twice")
        );
        let gone = "<a class=\"term\" href=\"glossary.html#nothing\">x</a>";
        assert!(check_first_uses(gone).unwrap_err().contains("no term"));
    }
}
