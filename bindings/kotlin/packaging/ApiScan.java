// ApiScan: lists the public API of a jar's kz.qorgan classes that Java
// cannot call by its Kotlin name. Kotlin gives a function whose parameters
// or return type include an inline value class (UInt, ULong, UByte, ...) a
// JVM name with a hash suffix ("accept-2TYgG_w"), and hides a constructor
// with such a parameter behind a private one plus a synthetic public one
// taking a DefaultConstructorMarker, which javac does not offer.
//
// Scanned: every public class (and public nested class of a public class)
// in kz/qorgan/ of the jar; its public and protected methods that are not
// synthetic or bridges (names with "$" are Kotlin-internal or accessors, and
// are skipped) and its constructors. Found: a method name with '-', or a
// synthetic public constructor (P..., DefaultConstructorMarker) beside a
// private constructor (P...) where P has an int, long, byte or short (the
// JVM form of UInt, ULong, UByte, UShort; without one it is Kotlin's own
// private constructor of a companion object or sealed class).
//
// Classes of uniffi's plumbing (FfiConverter*, Uniffi*, uniffi*,
// RustBuffer*, ForeignBytes*) are reported apart: they are public only
// because the generated code needs them across files, not for callers.
//
// Output: one line per finding ("api" or "plumbing", class, JVM name and
// parameter types) into REPORT, and a summary line on stdout. Exit status:
// 1 when --fatal is given and the API (not the plumbing) has findings.
//
// Usage: java -cp JAR:JNA:KOTLIN_STDLIB ApiScan.java JAR REPORT [--fatal]

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;

public class ApiScan {
    static final String MARKER = "kotlin.jvm.internal.DefaultConstructorMarker";

    public static void main(String[] args) throws IOException, ClassNotFoundException {
        if (args.length < 2) {
            System.err.println("usage: java -cp JAR:JNA:KOTLIN_STDLIB ApiScan.java JAR REPORT [--fatal]");
            System.exit(2);
        }
        boolean fatal = args.length > 2 && args[2].equals("--fatal");
        List<String> names = new ArrayList<>();
        try (JarFile jar = new JarFile(args[0])) {
            for (JarEntry e : Collections.list(jar.entries())) {
                String n = e.getName();
                if (n.startsWith("kz/qorgan/") && n.endsWith(".class")) {
                    names.add(n.substring(0, n.length() - 6).replace('/', '.'));
                }
            }
        }
        Collections.sort(names);
        ClassLoader loader = ApiScan.class.getClassLoader();
        List<String> api = new ArrayList<>(), plumbing = new ArrayList<>();
        int classes = 0;
        for (String name : names) {
            Class<?> c = Class.forName(name, false, loader);
            if (!isPublic(c) || c.isSynthetic() || c.isAnonymousClass() || c.isLocalClass()) continue;
            classes++;
            List<String> found = new ArrayList<>();
            for (Method m : c.getDeclaredMethods()) {
                int mod = m.getModifiers();
                if (!(Modifier.isPublic(mod) || Modifier.isProtected(mod)) || m.isSynthetic() || m.isBridge()) continue;
                if (m.getName().contains("$")) continue;
                if (m.getName().contains("-")) found.add(m.getName() + params(m.getParameterTypes()));
            }
            Constructor<?>[] ctors = c.getDeclaredConstructors();
            for (Constructor<?> k : ctors) {
                Class<?>[] p = k.getParameterTypes();
                if (!Modifier.isPublic(k.getModifiers()) || !k.isSynthetic() || p.length == 0
                    || !p[p.length - 1].getName().equals(MARKER)) continue;
                Class<?>[] hidden = Arrays.copyOf(p, p.length - 1);
                // A private constructor of Kotlin's own (a companion object's,
                // a sealed class's) has the same shape; only one with an
                // unsigned type's JVM form (int, long, byte, short) among its
                // parameters can be a public one hidden for that reason.
                if (Arrays.stream(hidden).noneMatch(ApiScan::unsignedForm)) continue;
                for (Constructor<?> h : ctors) {
                    if (Modifier.isPrivate(h.getModifiers()) && Arrays.equals(h.getParameterTypes(), hidden)) {
                        found.add("<init>" + params(hidden) + " (hidden: an inline-class parameter)");
                    }
                }
            }
            Collections.sort(found);
            String top = c.getName().substring("kz.qorgan.".length()).replaceAll("\\$.*", "");
            boolean isPlumbing = top.matches("(FfiConverter|Uniffi|uniffi|RustBuffer|ForeignBytes).*");
            for (String f : found) (isPlumbing ? plumbing : api).add((isPlumbing ? "plumbing " : "api ") + c.getName() + "." + f);
        }
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(Paths.get(args[1]), StandardCharsets.UTF_8))) {
            api.forEach(w::println);
            plumbing.forEach(w::println);
        }
        System.out.printf("java names: %d public classes scanned; %d mangled or hidden in the API, %d in uniffi plumbing (list: %s)%n",
            classes, api.size(), plumbing.size(), args[1]);
        if (fatal && !api.isEmpty()) System.exit(1);
    }

    static boolean unsignedForm(Class<?> t) {
        return t == int.class || t == long.class || t == byte.class || t == short.class;
    }

    static boolean isPublic(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
            if (!Modifier.isPublic(k.getModifiers())) return false;
        }
        return true;
    }

    static String params(Class<?>[] types) {
        return Arrays.stream(types).map(Class::getSimpleName).collect(Collectors.joining(", ", "(", ")"));
    }
}
