//! `qorgan-verify [--quiet] [--anchor KEY=ORGANISATION]... [--revocations
//! FILE]... [--now SECONDS] [FILE...]`: reads items (see the crate docs or
//! `--help`) from each FILE, or from standard input when there is none or a
//! FILE is `-`, and prints one verdict per item and a summary.
//! Exit status: 0 every item valid, 1 any invalid or unreadable, 2 usage or
//! I/O error.

#![forbid(unsafe_code)]

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::ExitCode;

use qorgan_verify::{MAX_LINE, Trust, Verifier, parse_anchor, parse_revocation_lists};

const HELP: &str = "\
usage: qorgan-verify [--quiet] [--anchor KEY=ORGANISATION]... [--revocations FILE]...
                     [--now SECONDS] [FILE...]

Verifies qorgan signatures in bulk. Reads FILEs (standard input if none, or
for '-'), one item per line, fields in hex; blank lines and '#' comments
are ignored:

  identity       <identity>                 a device identity (binding signature)
  bundle         <bundle>                   a prekey bundle (three signatures)
  upload         <upload>                   a prekey upload (identity binding, every
                                            prekey signature, the upload signature)
  announcement   <announcement>             a sender-key announcement
  group-message  <announcement> <message>   a group message against its chain
  device-list    <list>                     an account's device list (every device's
                                            identity binding, the account signature)
  device-list-after <account> <version> <hash> <list>
                                            a device list that must be the account's
                                            (its 32-byte key) and directly follow the
                                            list held for it with that head (version
                                            in decimal, its 32-byte hash in hex): what
                                            to check before replacing the held list
  roster         <roster>                   a group roster (its rules, the signer's
                                            signature; epoch 1 signed by its admin)
  roster-after   <previous> <roster>        a roster that must directly follow the
                                            roster held for the group (given as its
                                            bytes) and be signed by one of its admins
  statement      <statement>                a statement or certificate (rules and the
                                            issuer's signature, whoever the issuer is)
  revocation-list <list>                    an issuer's revocation list
  presentation   QG1:<text>                 a presentation as its QR text (base45;
                                            spaces are part of it, up to the end of
                                            the line), checked against the --anchor
                                            keys, the --revocations lists and --now

Options for presentation lines (anchors come from your configuration,
never from the input):
  --anchor KEY=ORGANISATION   trust the organisation key KEY (32 bytes, hex)
                              as ORGANISATION; repeatable. Without one, every
                              presentation is invalid (unknown issuer)
  --revocations FILE          revocation lists, one per line in hex, each
                              verified first (a bad one is a usage error);
                              repeatable. A presentation whose serial is
                              listed is invalid (revoked)
  --now SECONDS               the time to check validity at (Unix seconds;
                              default: this machine's clock)

Prints 'SOURCE:LINE: KIND: valid | invalid: REASON | unreadable: REASON'
per item (--quiet: only the failures) and a summary line.
Exit status: 0 all valid, 1 some invalid or unreadable, 2 usage or I/O error.
";

struct Options {
    quiet: bool,
    sources: Vec<String>,
    trust: Trust,
}

/// The clock, in Unix seconds (0 if it reads before 1970).
fn system_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn parse_args() -> Result<Option<Options>, String> {
    let mut quiet = false;
    let mut sources = Vec::new();
    let mut trust = Trust::default();
    let mut now = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        // `--name value` or `--name=value`.
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{what} needs a value"))
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(None),
            "-q" | "--quiet" => quiet = true,
            "--anchor" => trust.anchors.push(parse_anchor(&value("--anchor")?)?),
            "--revocations" => {
                let file = value("--revocations")?;
                let text = std::fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?;
                trust
                    .revocations
                    .extend(parse_revocation_lists(&file, &text)?);
            }
            "--now" => {
                let v = value("--now")?;
                now = Some(
                    v.parse::<u64>()
                        .ok()
                        .filter(|_| v.bytes().all(|b| b.is_ascii_digit()))
                        .ok_or_else(|| format!("--now {v:?}: expected Unix seconds"))?,
                );
            }
            "-" => sources.push(arg),
            a if a.starts_with('-') => return Err(format!("unknown option {a}")),
            _ => sources.push(arg),
        }
    }
    if sources.is_empty() {
        sources.push("-".into());
    }
    trust.now = now.unwrap_or_else(system_now);
    Ok(Some(Options {
        quiet,
        sources,
        trust,
    }))
}

fn emit(out: &mut impl Write, text: &mut String, quiet: bool) -> io::Result<()> {
    for line in text.lines() {
        if !quiet || !line.ends_with(": valid") {
            writeln!(out, "{line}")?;
        }
    }
    text.clear();
    Ok(())
}

/// Reads one line of at most MAX_LINE bytes into `buf`; `Ok(false)` at the
/// end of input. A longer line is consumed and reported as too long.
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<Option<bool>> {
    buf.clear();
    let n = r
        .by_ref()
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.len() > MAX_LINE && buf.last() != Some(&b'\n') {
        // Skip the rest of the over-long line.
        let mut rest = Vec::new();
        loop {
            rest.clear();
            let m = r
                .by_ref()
                .take(MAX_LINE as u64)
                .read_until(b'\n', &mut rest)?;
            if m == 0 || rest.last() == Some(&b'\n') {
                break;
            }
        }
        return Ok(Some(false));
    }
    Ok(Some(true))
}

fn run(opts: &Options) -> io::Result<bool> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut verifier = Verifier::with_trust(opts.trust.clone());
    let mut text = String::new();
    for source in &opts.sources {
        let (name, reader): (&str, Box<dyn BufRead>) = if source == "-" {
            ("stdin", Box::new(BufReader::new(io::stdin())))
        } else {
            let file = File::open(source)
                .map_err(|e| io::Error::new(e.kind(), format!("{source}: {e}")))?;
            (source.as_str(), Box::new(BufReader::new(file)))
        };
        let mut reader = reader;
        let mut buf = Vec::new();
        let mut number = 0u64;
        while let Some(fits) = read_line(&mut reader, &mut buf)? {
            number += 1;
            let at = format!("{name}:{number}");
            if !fits {
                verifier.unreadable(at, &format!("line longer than {MAX_LINE} bytes"), &mut text);
            } else {
                match std::str::from_utf8(&buf) {
                    Ok(line) => verifier.push(at, line, &mut text),
                    Err(_) => verifier.unreadable(at, "not UTF-8", &mut text),
                }
            }
            if !text.is_empty() {
                emit(&mut out, &mut text, opts.quiet)?;
            }
        }
    }
    let summary = verifier.finish(&mut text);
    emit(&mut out, &mut text, opts.quiet)?;
    writeln!(out, "{}", summary.line())?;
    out.flush()?;
    Ok(summary.all_valid())
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("qorgan-verify: {e}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("qorgan-verify: {e}");
            ExitCode::from(2)
        }
    }
}
