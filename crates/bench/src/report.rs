//! The markdown table appended to docs/performance.md, and the plot of
//! latency against throughput for sends.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use crate::load::Sample;
use crate::sys;

pub struct Row {
    ceiling: bool,
    sample: Sample,
}

impl Row {
    pub fn app(sample: Sample) -> Self {
        Self { ceiling: false, sample }
    }

    pub fn ceiling(sample: Sample) -> Self {
        Self { ceiling: true, sample }
    }

    /// The scenario the row measures ("send (naive SQL)" is the send's ceiling).
    fn scenario(&self) -> &str {
        self.sample.scenario.split(' ').next().unwrap_or_default()
    }
}

fn git(args: &[&str]) -> String {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

fn ms(v: f64) -> String {
    if v.is_nan() { "–".into() } else { format!("{v:.2}") }
}

pub struct Context<'a> {
    pub peak_rss_kib: u64,
    pub pool: Option<u32>,
    pub postgres: &'a str,
    pub command: &'a str,
}

pub fn markdown(rows: &[Row], cx: &Context<'_>) -> String {
    let mut commit = git(&["rev-parse", "--short", "HEAD"]);
    if !git(&["status", "--porcelain", "--untracked-files=no"]).is_empty() {
        commit.push_str(" + uncommitted changes");
    }
    let mut out = String::new();
    let _ = writeln!(out, "### {} · commit {commit}\n", chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"));
    let _ = writeln!(
        out,
        "Machine: {}. {}; server pool {} connections; server peak RSS {} MiB.  \nCommand: `{}`\n",
        sys::machine(),
        cx.postgres,
        cx.pool.map_or_else(|| "default".to_owned(), |p| p.to_string()),
        cx.peak_rss_kib / 1024,
        cx.command,
    );
    out.push_str(
        "| Scenario | Clients | App req/s | p50 ms | p95 ms | p99 ms | Errors | Server CPU | Machine busy \
         | Ceiling | Ceiling/s | Ceiling p99 ms | App / ceiling |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|\n",
    );
    for app in rows.iter().filter(|r| !r.ceiling) {
        let s = &app.sample;
        let ceilings: Vec<&Sample> = rows
            .iter()
            .filter(|r| r.ceiling && r.scenario() == app.scenario() && r.sample.clients == s.clients)
            .map(|r| &r.sample)
            .collect();
        let (name, rate, p99, ratio) = match ceilings.as_slice() {
            [] => ("–".to_owned(), "–".to_owned(), "–".to_owned(), "–".to_owned()),
            cs => (
                cs.iter().map(|c| c.scenario.clone()).collect::<Vec<_>>().join(", "),
                cs.iter().map(|c| format!("{:.0}", c.throughput())).collect::<Vec<_>>().join(", "),
                cs.iter().map(|c| ms(c.quantile_ms(0.99))).collect::<Vec<_>>().join(", "),
                cs.iter()
                    .map(|c| format!("{:.0}%", 100.0 * s.throughput() / c.throughput()))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {} | {} | {} | {} | {:.2} cores | {:.0}% | {name} | {rate} | {p99} | {ratio} |",
            s.scenario,
            s.clients,
            s.throughput(),
            ms(s.quantile_ms(0.50)),
            ms(s.quantile_ms(0.95)),
            ms(s.quantile_ms(0.99)),
            s.errors,
            s.server_cores.unwrap_or(0.0),
            100.0 * s.machine_busy,
        );
    }
    let generator = rows.iter().filter(|r| !r.ceiling).map(|r| r.sample.client_cores).fold(0.0, f64::max);
    let _ = writeln!(
        out,
        "\nLatency is measured by the client from sending a request to reading the whole answer, over loopback. \
         The load generator used at most {generator:.2} cores itself.\n"
    );
    out
}

pub fn append(path: &Path, table: &str) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
    write!(file, "\n{table}")?;
    Ok(())
}

/// Latency (p50 and p99) against throughput for sends, one point per
/// client count: where the curve turns up is the server's capacity.
pub fn svg(curve: &[Sample]) -> String {
    let (w, h, left, right, top, bottom) = (720.0, 420.0, 70.0, 30.0, 40.0, 60.0);
    let max_x = curve.iter().map(Sample::throughput).fold(1.0, f64::max) * 1.1;
    let max_y = curve.iter().map(|s| s.quantile_ms(0.99)).filter(|v| v.is_finite()).fold(1.0, f64::max) * 1.1;
    let x = |v: f64| left + v / max_x * (w - left - right);
    let y = |v: f64| h - bottom - v / max_y * (h - top - bottom);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">Sends: latency against throughput \
         (1 to 64 clients)</text>\n",
        w / 2.0
    );
    for i in 0..=5 {
        let (vx, vy) = (max_x * f64::from(i) / 5.0, max_y * f64::from(i) / 5.0);
        let _ = writeln!(
            out,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#e5e5e5\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{vy:.1}</text>\
             <text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{vx:.0}</text>",
            w - right,
            y(vy),
            y(vy),
            left - 6.0,
            y(vy) + 4.0,
            x(vx),
            h - bottom + 18.0,
        );
    }
    let _ = writeln!(
        out,
        "<line x1=\"{left}\" x2=\"{left}\" y1=\"{top}\" y2=\"{}\" stroke=\"black\"/>\
         <line x1=\"{left}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"black\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">sends per second</text>\
         <text transform=\"translate(18 {}) rotate(-90)\" text-anchor=\"middle\">latency, ms</text>",
        h - bottom,
        w - right,
        h - bottom,
        h - bottom,
        (left + w - right) / 2.0,
        h - 18.0,
        (top + h - bottom) / 2.0,
    );
    for (q, color, label) in [(0.5, "#1f77b4", "p50"), (0.99, "#d62728", "p99")] {
        let points: Vec<String> =
            curve.iter().map(|s| format!("{:.1},{:.1}", x(s.throughput()), y(s.quantile_ms(q)))).collect();
        let _ = writeln!(
            out,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
            points.join(" ")
        );
        for s in curve {
            let (px, py) = (x(s.throughput()), y(s.quantile_ms(q)));
            let _ = writeln!(
                out,
                "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"3\" fill=\"{color}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" fill=\"{color}\" font-size=\"10\">{}</text>",
                px + 5.0,
                py - 5.0,
                s.clients
            );
        }
        let ly = if q < 0.9 { top + 10.0 } else { top + 28.0 };
        let _ = writeln!(
            out,
            "<line x1=\"{}\" x2=\"{}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"2\"/>\
             <text x=\"{}\" y=\"{}\">{label} (labels: clients)</text>",
            left + 20.0,
            left + 45.0,
            left + 52.0,
            ly + 4.0
        );
    }
    out.push_str("</svg>\n");
    out
}
