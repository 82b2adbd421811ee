// KdocHtml: an HTML API reference from the KDoc comments of Kotlin sources,
// for the -javadoc.jar of the Maven packages (build-maven.sh, build-aar.sh).
// It is not Dokka (which needs Gradle or Maven Central, neither available
// here): a line-based reader of the two source files of the bindings, which
// relies on their consistent 4-space indentation (the generated
// qorgan_ffi.kt and the hand-written ByteArrayOverloads.kt). It lists every
// public declaration (not private, internal or protected, not marked
// @suppress, not nested in such a declaration) with its signature and KDoc:
// each type with its members (properties of a primary constructor among
// them, enum entries), then the top-level functions per file. Undocumented
// `override` members are left out (their documentation is on the interface).
//
// Output: OUT_DIR/index.html (one page, a contents list, no scripts), the
// same bytes for the same sources.
//
// Usage: java KdocHtml.java OUT_DIR TITLE FILE.kt...   (JDK 11 or later)

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class KdocHtml {
    static final Pattern DECL = Pattern.compile(
        "^((?:(?:public|private|internal|protected|open|abstract|sealed|data|enum|inner|override|final|suspend|inline"
            + "|operator|infix|const|lateinit|value|annotation|external|tailrec|fun(?=\\s+interface))\\s+)*)"
            + "(companion\\s+object|class|interface|object|fun|val|var|typealias|constructor)\\b\\s*(.*)$");
    static final Pattern ENUM_ENTRY = Pattern.compile("^([A-Z][A-Z0-9_]*)\\s*(?:[,;(]|$)");
    static final Pattern ANNOTATION = Pattern.compile("^@[A-Za-z_.]+(?:\\([^()]*(?:\\([^()]*\\)[^()]*)*\\))?\\s*");

    /** One documented (or public) declaration. */
    static final class Decl {
        final String file, kind, name, signature, doc;
        final List<String> parents;
        final List<Decl> members = new ArrayList<>();

        Decl(String file, String kind, String name, String signature, String doc, List<String> parents) {
            this.file = file;
            this.kind = kind;
            this.name = name;
            this.signature = signature;
            this.doc = doc;
            this.parents = parents;
        }

        boolean isType() {
            return kind.equals("class") || kind.equals("interface") || kind.equals("object") || kind.startsWith("companion");
        }
    }

    /** An open block: the declaration whose body it is, if its members are listed. */
    static final class Open {
        final Decl decl; // null: a block whose declarations are not listed (a function, a lambda, ...)
        final boolean isEnum;

        Open(Decl decl, boolean isEnum) {
            this.decl = decl;
            this.isEnum = isEnum;
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: java KdocHtml.java OUT_DIR TITLE FILE.kt...");
            System.exit(2);
        }
        List<Decl> topTypes = new ArrayList<>();
        Map<String, List<Decl>> functions = new LinkedHashMap<>();
        for (int i = 2; i < args.length; i++) {
            Path file = Paths.get(args[i]);
            parse(file.getFileName().toString(), Files.readAllLines(file, StandardCharsets.UTF_8), topTypes, functions);
        }
        topTypes.sort((a, b) -> a.name.compareTo(b.name));
        Path out = Paths.get(args[0]);
        Files.createDirectories(out);
        Files.write(out.resolve("index.html"), render(args[1], topTypes, functions).getBytes(StandardCharsets.UTF_8));
    }

    /** Lexer state carried from line to line. */
    static final class Lex {
        boolean blockComment, rawString;
        int parens;
    }

    /**
     * Reports the braces of a line that are code (not in strings, characters
     * or comments) through push/pop, and counts parentheses.
     */
    static void scan(String line, Lex lx, Runnable push, Runnable pop) {
        int n = line.length();
        for (int k = 0; k < n; k++) {
            char c = line.charAt(k);
            if (lx.blockComment) {
                if (c == '*' && k + 1 < n && line.charAt(k + 1) == '/') {
                    lx.blockComment = false;
                    k++;
                }
                continue;
            }
            if (lx.rawString) {
                if (line.startsWith("\"\"\"", k)) {
                    lx.rawString = false;
                    k += 2;
                }
                continue;
            }
            if (c == '/' && k + 1 < n && line.charAt(k + 1) == '/') return;
            if (c == '/' && k + 1 < n && line.charAt(k + 1) == '*') {
                lx.blockComment = true;
                k++;
            } else if (line.startsWith("\"\"\"", k)) {
                lx.rawString = true;
                k += 2;
            } else if (c == '"') {
                k = skipString(line, k + 1);
            } else if (c == '\'') {
                int end = line.indexOf('\'', k + (k + 1 < n && line.charAt(k + 1) == '\\' ? 3 : 2));
                if (end > 0 && end - k <= 8) k = end;
            } else if (c == '{') {
                push.run();
            } else if (c == '}') {
                pop.run();
            } else if (c == '(') {
                lx.parens++;
            } else if (c == ')') {
                lx.parens = Math.max(0, lx.parens - 1);
            }
        }
    }

    /** The index of the quote closing a string that starts at k (templates with braces skipped). */
    static int skipString(String line, int k) {
        int n = line.length();
        while (k < n) {
            char c = line.charAt(k);
            if (c == '\\') {
                k += 2;
            } else if (c == '"') {
                return k;
            } else if (c == '$' && k + 1 < n && line.charAt(k + 1) == '{') {
                int d = 0;
                for (k = k + 1; k < n; k++) {
                    char t = line.charAt(k);
                    if (t == '"') k = skipString(line, k + 1);
                    else if (t == '{') d++;
                    else if (t == '}' && --d == 0) break;
                }
                k++;
            } else {
                k++;
            }
        }
        return n;
    }

    static void parse(String file, List<String> lines, List<Decl> topTypes, Map<String, List<Decl>> functions) {
        Deque<Open> stack = new ArrayDeque<>();
        Lex lx = new Lex();
        String doc = null;
        // The declaration whose body the next "{" at this depth opens, if no other declaration comes first.
        Open[] pending = {null};
        int[] pendingDepth = {-1};
        Runnable push = () -> {
            if (pending[0] != null && pendingDepth[0] == stack.size() && lx.parens == 0) {
                stack.push(pending[0]);
                pending[0] = null;
            } else {
                stack.push(new Open(null, false));
            }
        };
        Runnable pop = () -> {
            if (!stack.isEmpty()) stack.pop();
            pending[0] = null;
        };
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String t = line.trim();
            if (lx.blockComment || lx.rawString || t.isEmpty()) {
                scan(line, lx, push, pop);
                continue;
            }
            if (t.startsWith("/**")) {
                StringBuilder sb = new StringBuilder();
                int j = i;
                String cur = t.substring(3);
                while (true) {
                    int end = cur.indexOf("*/");
                    if (end >= 0) {
                        sb.append(cur, 0, end);
                        break;
                    }
                    sb.append(cur).append('\n');
                    if (++j >= lines.size()) break;
                    cur = lines.get(j).trim();
                    if (cur.startsWith("*") && !cur.startsWith("*/")) cur = cur.substring(1);
                    if (cur.startsWith(" ")) cur = cur.substring(1);
                }
                // Code after the comment on its last line (rare) is scanned.
                String last = lines.get(j);
                scan(last.substring(last.indexOf("*/") + 2), lx, push, pop);
                i = j;
                doc = sb.toString().trim();
                continue;
            }
            String rest = t;
            Matcher a;
            while ((a = ANNOTATION.matcher(rest)).find() && a.end() > 0) rest = rest.substring(a.end());
            if (rest.isEmpty() || rest.startsWith("//") || rest.startsWith("/*")) {
                scan(line, lx, push, pop);
                continue; // an annotation or comment line: the KDoc applies to what follows
            }
            // Where the line's declaration belongs: in a primary constructor's
            // parentheses, to that class; otherwise to the innermost block.
            Open owner;
            if (lx.parens > 0 && pending[0] != null && pending[0].decl != null && pendingDepth[0] == stack.size()) {
                owner = pending[0];
            } else if (lx.parens > 0) {
                owner = new Open(null, false);
            } else {
                owner = stack.peek();
            }
            boolean inScope = owner == null || owner.decl != null;
            if (owner != null && owner.isEnum && owner.decl != null && lx.parens == 0) {
                Matcher e = ENUM_ENTRY.matcher(rest);
                if (e.find() && !DECL.matcher(rest).find()) {
                    owner.decl.members.add(new Decl(file, "entry", e.group(1), e.group(1), doc, path(stack, owner)));
                    doc = null;
                    scan(line, lx, push, pop);
                    continue;
                }
            }
            Matcher m = DECL.matcher(rest);
            if (!m.find()) {
                doc = null;
                scan(line, lx, push, pop);
                continue;
            }
            String mods = m.group(1);
            String kind = m.group(2).replaceAll("\\s+", " ");
            boolean visible = !mods.matches(".*\\b(private|internal|protected)\\b.*");
            boolean suppressed = doc != null && doc.contains("@suppress");
            boolean undocumentedOverride = doc == null && mods.contains("override");
            boolean listed = inScope && visible && !suppressed && !undocumentedOverride;
            String signature = signature(lines, i, rest, kind);
            String name = name(kind, m.group(3));
            Decl decl = null;
            if (listed) {
                decl = new Decl(file, kind, name, signature, doc, path(stack, owner));
                if (owner == null) {
                    if (decl.isType()) topTypes.add(decl);
                    else functions.computeIfAbsent(file, k -> new ArrayList<>()).add(decl);
                } else {
                    owner.decl.members.add(decl);
                }
            }
            if (lx.parens == 0) {
                boolean isType = decl != null && decl.isType();
                pending[0] = new Open(isType ? decl : null, mods.contains("enum"));
                pendingDepth[0] = stack.size();
            }
            doc = null;
            scan(line, lx, push, pop);
        }
    }

    static List<String> path(Deque<Open> stack, Open owner) {
        List<String> names = new ArrayList<>();
        stack.descendingIterator().forEachRemaining(o -> {
            if (o.decl != null) names.add(o.decl.name);
        });
        if (owner != null && owner.decl != null && !stack.contains(owner)) names.add(owner.decl.name);
        return names;
    }

    static String name(String kind, String rest) {
        String r = rest.replace("`", "");
        if (kind.startsWith("companion")) return "Companion";
        if (kind.equals("constructor")) return "constructor";
        if (kind.equals("fun")) {
            r = r.replaceFirst("^<[^>]*>\\s*", "");
            int paren = r.indexOf('(');
            String head = paren >= 0 ? r.substring(0, paren) : r;
            return head.trim();
        }
        Matcher id = Pattern.compile("^([A-Za-z_][A-Za-z0-9_.]*)").matcher(r.replaceFirst("^<[^>]*>\\s*", ""));
        return id.find() ? id.group(1) : r;
    }

    /** The declaration without its body: a function's parameters may span lines. */
    static String signature(List<String> lines, int i, String first, String kind) {
        StringBuilder sb = new StringBuilder(first);
        if (kind.equals("fun") || kind.equals("constructor")) {
            int j = i;
            while (depth(sb) > 0 && ++j < lines.size() && j < i + 40) sb.append(' ').append(lines.get(j).trim());
        }
        String s = sb.toString().replace("`", "").replaceAll("\\s+", " ").trim();
        // Cut the body: " {" ending the header, or an expression body.
        int d = 0;
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '(' || c == '<') d++;
            else if (c == ')' || c == '>') d = Math.max(0, d - 1);
            else if (d == 0 && c == '{') return tidy(s.substring(0, k));
            else if (d == 0 && c == '=' && k > 0 && s.charAt(k - 1) == ' ' && !kind.equals("val") && !kind.equals("var")) {
                return tidy(s.substring(0, k));
            }
        }
        if (!kind.equals("fun") && s.endsWith("(")) s = s + "…)";
        return tidy(s);
    }

    static String tidy(String s) {
        return s.replaceAll("\\s+get\\(\\).*$", "").replaceAll("\\s*:$", "")
            .replaceAll("\\s*,\\s*\\)", ")").replaceAll("\\(\\s+", "(").trim();
    }

    static int depth(CharSequence s) {
        int d = 0;
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '(') d++;
            else if (c == ')') d--;
        }
        return d;
    }

    // ---- HTML ----

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** KDoc text to HTML: paragraphs, "- " lists, ``` blocks, `code`, [links], @tags. */
    static String docHtml(String doc) {
        if (doc == null || doc.isEmpty()) return "";
        StringBuilder out = new StringBuilder();
        List<String> para = new ArrayList<>();
        boolean inList = false, inCode = false;
        Map<String, List<String>> tags = new TreeMap<>();
        String[] ls = doc.split("\n", -1);
        for (String l : ls) {
            if (l.trim().startsWith("```")) {
                flush(out, para);
                if (inList) {
                    out.append("</ul>\n");
                    inList = false;
                }
                out.append(inCode ? "</pre>\n" : "<pre>");
                inCode = !inCode;
                continue;
            }
            if (inCode) {
                out.append(esc(l)).append('\n');
                continue;
            }
            String tl = l.trim();
            if (tl.startsWith("@")) {
                flush(out, para);
                String[] parts = tl.split("\\s+", 2);
                tags.computeIfAbsent(parts[0].substring(1), k -> new ArrayList<>()).add(parts.length > 1 ? parts[1] : "");
                continue;
            }
            if (tl.isEmpty()) {
                flush(out, para);
                if (inList) {
                    out.append("</ul>\n");
                    inList = false;
                }
            } else if (tl.startsWith("- ") || tl.startsWith("* ")) {
                flush(out, para);
                if (!inList) {
                    out.append("<ul>\n");
                    inList = true;
                }
                out.append("<li>").append(inline(tl.substring(2))).append("</li>\n");
            } else if (inList && l.startsWith("  ")) {
                int at = out.lastIndexOf("</li>");
                out.replace(at, at + 5, " " + inline(tl) + "</li>");
            } else {
                para.add(tl);
            }
        }
        flush(out, para);
        if (inList) out.append("</ul>\n");
        if (inCode) out.append("</pre>\n");
        tags.remove("suppress");
        if (!tags.isEmpty()) {
            out.append("<dl>\n");
            for (Map.Entry<String, List<String>> e : tags.entrySet()) {
                out.append("<dt>").append(esc(e.getKey())).append("</dt>");
                for (String v : e.getValue()) out.append("<dd>").append(inline(v)).append("</dd>");
                out.append('\n');
            }
            out.append("</dl>\n");
        }
        return out.toString();
    }

    static void flush(StringBuilder out, List<String> para) {
        if (para.isEmpty()) return;
        out.append("<p>").append(inline(String.join(" ", para))).append("</p>\n");
        para.clear();
    }

    static String inline(String s) {
        String e = esc(s);
        e = e.replaceAll("\\[`([^`\\]]+)`\\]", "<code>$1</code>");
        e = e.replaceAll("`([^`]+)`", "<code>$1</code>");
        e = e.replaceAll("\\[([A-Za-z_][A-Za-z0-9_.]*)\\](?!\\()", "<code>$1</code>");
        return e;
    }

    static String anchor(Decl d) {
        List<String> p = new ArrayList<>(d.parents);
        p.add(d.name);
        return esc(String.join(".", p).replaceAll("[^A-Za-z0-9_.]", "_"));
    }

    static void member(StringBuilder out, Decl d, int level) {
        out.append("<div class=\"decl\" id=\"").append(anchor(d)).append("\">\n");
        out.append("<h").append(level).append('>').append(esc(d.name)).append("</h").append(level).append(">\n");
        out.append("<pre class=\"sig\">").append(esc(d.signature)).append("</pre>\n");
        out.append(docHtml(d.doc));
        for (Decl m : d.members) member(out, m, Math.min(level + 1, 6));
        out.append("</div>\n");
    }

    static String render(String title, List<Decl> types, Map<String, List<Decl>> functions) {
        StringBuilder out = new StringBuilder();
        out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
            .append(esc(title)).append("</title>\n<style>\n")
            .append("body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em;line-height:1.4}\n")
            .append("pre{background:#f4f4f4;padding:.5em;overflow-x:auto}\n")
            .append(".decl{margin-left:1em;border-left:2px solid #ddd;padding-left:.8em}\n")
            .append("h2,h3,h4,h5,h6{margin-bottom:.2em}\n</style>\n</head>\n<body>\n");
        out.append("<h1>").append(esc(title)).append("</h1>\n");
        out.append("<p>Generated from the KDoc comments of the sources in the -sources.jar by "
            + "bindings/kotlin/packaging/KdocHtml.java (not Dokka). README.md in this jar is the guide.</p>\n");
        out.append("<h2>Contents</h2>\n<ul>\n");
        for (Decl d : types) {
            out.append("<li><a href=\"#").append(anchor(d)).append("\">").append(esc(d.name)).append("</a></li>\n");
        }
        for (String file : functions.keySet()) {
            out.append("<li><a href=\"#file-").append(esc(file)).append("\">Top-level functions in ")
                .append(esc(file)).append("</a></li>\n");
        }
        out.append("</ul>\n");
        for (Decl d : types) member(out, d, 2);
        for (Map.Entry<String, List<Decl>> e : functions.entrySet()) {
            out.append("<h2 id=\"file-").append(esc(e.getKey())).append("\">Top-level functions in ")
                .append(esc(e.getKey())).append("</h2>\n");
            for (Decl d : e.getValue()) member(out, d, 3);
        }
        out.append("</body>\n</html>\n");
        return out.toString();
    }
}
