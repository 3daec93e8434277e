//! The shared page layout (navigation, notes, machine info, inline CSS so
//! the page works offline) and small HTML helpers. Every helper escapes the
//! text it is given.

use crate::machine::MachineInfo;

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes generated prose, showing each `quoted` span as code. Text with
/// an unpaired backtick is only escaped.
pub fn prose(text: &str) -> String {
    let escaped = escape(text);
    if escaped.matches('`').count() % 2 == 1 {
        return escaped;
    }
    escaped
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_string()
            }
        })
        .collect()
}

/// A table of text cells under `headers` (no header row if all are empty).
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<table>\n");
    if headers.iter().any(|h| !h.is_empty()) {
        out.push_str("<thead><tr>");
        for h in headers {
            out.push_str(&format!("<th>{}</th>", escape(h)));
        }
        out.push_str("</tr></thead>\n");
    }
    out.push_str("<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            out.push_str(&format!("<td>{}</td>", escape(cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// A paragraph of generated sentences.
pub fn explanation(sentences: &[String]) -> String {
    if sentences.is_empty() {
        return String::new();
    }
    format!("<p class=\"explain\">{}</p>\n", prose(&sentences.join(" ")))
}

/// A chart image (a file next to the page) with its explanation.
pub fn figure(file: &str, alt: &str, sentences: &[String]) -> String {
    format!(
        "<figure><img src=\"{}\" alt=\"{}\" width=\"760\" height=\"430\">\n<figcaption>{}</figcaption></figure>\n",
        escape(file),
        escape(alt),
        explanation(sentences)
    )
}

/// Code as a `<pre>` block, escaped.
pub fn code_block(code: &str, language: &str) -> String {
    format!(
        "<pre class=\"{}\"><code>{}</code></pre>\n",
        escape(language),
        escape(code.trim_matches('\n'))
    )
}

/// A list of notes (problems with the data, or how it was measured).
pub fn notes(notes: &[String]) -> String {
    if notes.is_empty() {
        return String::new();
    }
    let items: String = notes
        .iter()
        .map(|n| format!("<li>{}</li>", prose(n)))
        .collect();
    format!("<div class=\"notes\"><strong>Notes</strong><ul>{items}</ul></div>\n")
}

/// The machine the numbers come from.
pub fn machine(info: &MachineInfo) -> String {
    let rows: Vec<Vec<String>> = info
        .rows()
        .into_iter()
        .map(|(k, v)| vec![k.to_string(), v])
        .collect();
    format!(
        "<section class=\"machine\"><h2>Machine</h2>\n{}</section>\n",
        table(&["", ""], &rows)
    )
}

/// One entry of the navigation bar.
#[derive(Debug, Clone)]
pub struct NavLink {
    pub href: String,
    pub label: String,
}

const CSS: &str = "
body { font-family: system-ui, sans-serif; max-width: 1000px; margin: 0 auto; padding: 0 1rem 3rem; color: #222; line-height: 1.45; }
nav { display: flex; gap: 1.2rem; flex-wrap: wrap; padding: .8rem 0; border-bottom: 1px solid #ddd; margin-bottom: 1rem; }
nav a { text-decoration: none; color: #0a5ea8; }
nav a.current { font-weight: bold; color: #222; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #eee; }
figure { margin: 1.2rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption, p.explain { max-width: 760px; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .92rem; }
th, td { border: 1px solid #ddd; padding: .25rem .6rem; text-align: left; }
td { font-variant-numeric: tabular-nums; } thead { background: #f4f4f4; }
.notes { background: #fff8e1; border: 1px solid #f0d58c; padding: .6rem 1rem; margin: 1rem 0; }
.machine table td:first-child { font-weight: bold; }
footer { margin-top: 3rem; color: #666; font-size: .85rem; }
pre { background: #f6f8fa; border: 1px solid #e4e4e4; padding: .6rem .8rem; overflow-x: auto; font-size: .88rem; line-height: 1.35; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; }
.question { font-size: 1.08rem; }
.predict { background: #eef6ff; border-left: 4px solid #0a5ea8; padding: .4rem 1rem; }
.missing { background: #fff8e1; border: 1px solid #f0d58c; padding: .5rem 1rem; }
.source { font-size: .88rem; color: #555; margin-top: -.6rem; }
details { border: 1px solid #ddd; padding: .5rem 1rem; margin: 1.2rem 0; }
summary { cursor: pointer; font-weight: bold; }
a.term { color: inherit; text-decoration: underline dotted #0a5ea8; }
dl.glossary dt { font-weight: bold; margin-top: 1rem; } dl.glossary dd { margin-left: 1.2rem; }
.used-in, .glossary-index { font-size: .9rem; color: #555; }
nav.lessons { justify-content: space-between; border-top: 1px solid #ddd; border-bottom: none; margin-top: 2rem; }
";

/// A whole page: navigation (the current page marked), title, notes, body
/// and the machine info.
pub fn page(
    title: &str,
    nav: &[NavLink],
    current: &str,
    page_notes: &[String],
    body: &str,
    info: &MachineInfo,
    footer_note: &str,
) -> String {
    let links: String = nav
        .iter()
        .map(|l| {
            let class = if l.href == current {
                " class=\"current\""
            } else {
                ""
            };
            format!(
                "<a href=\"{}\"{class}>{}</a>",
                escape(&l.href),
                escape(&l.label)
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{t}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<nav>{links}</nav>\n\
         <h1>{t}</h1>\n{notes}{body}{machine}\
         <footer>Generated by <code>tvp report</code> (threads-vs-processes) on {date}. \
         {footer_note}</footer>\n\
         </body>\n</html>\n",
        t = escape(title),
        notes = notes(page_notes),
        machine = machine(info),
        date = escape(&info.date),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_shows_quoted_spans_as_code() {
        let text = "run `cargo bench --bench io` for <this> `x`";
        let html = prose(text);
        assert_eq!(
            html,
            "run <code>cargo bench --bench io</code> for &lt;this&gt; <code>x</code>"
        );
        assert_eq!(prose("a ` b"), "a ` b");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert!(table(&["<h>"], &[vec!["<c>".into()]]).contains("&lt;c&gt;"));
    }
}
