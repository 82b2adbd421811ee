// A Java consumer of the published package, compiled by test.sh with javac
// --release 8 against the jar of the Maven layout (plus JNA and
// kotlin-stdlib, as the POM says) and run: key objects made from bytes and
// an error from Rust. JavaRoundTrip.java is the round trip (devices, 1:1,
// group). Both call the public API by its Kotlin names, which javac finds
// only because Kotlin did not mangle them (no inline-class parameters).
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import kz.qorgan.ByteArrayOverloadsKt;
import kz.qorgan.ErrorKind;
import kz.qorgan.IssuerKeyPair;
import kz.qorgan.QorganException;
import kz.qorgan.Qorgan_ffiKt;
import kz.qorgan.StorageKey;

public final class JavaConsumer {
    public static void main(String[] args) throws Exception {
        // A key pair from a seed: a native call with a deterministic result.
        byte[] seed = new byte[32];
        for (int i = 0; i < seed.length; i++) seed[i] = (byte) (i * 3 + 1);
        byte[] publicKey;
        try (IssuerKeyPair issuer = IssuerKeyPair.Companion.fromSeed(seed)) {
            check(Arrays.equals(issuer.toSeed(), seed), "seed round trip");
            publicKey = issuer.publicKey();
            check(publicKey.length == 32, "public key length");
        }
        try (IssuerKeyPair again = IssuerKeyPair.Companion.fromSeed(seed)) {
            check(Arrays.equals(again.publicKey(), publicKey), "same seed, same key");
        }
        // A storage key from bytes and back.
        byte[] raw = new byte[32];
        Arrays.fill(raw, (byte) 7);
        try (StorageKey key = StorageKey.Companion.fromBytes(raw)) {
            check(Arrays.equals(key.toBytes(), raw), "storage key round trip");
        }
        // An error from Rust as a checked exception with its readable text.
        String kind;
        try {
            ByteArrayOverloadsKt.verifyIdentity("not a key".getBytes(StandardCharsets.UTF_8));
            throw new AssertionError("verifyIdentity accepted garbage");
        } catch (QorganException e) {
            kind = e.getClass().getSimpleName();
            check(!Qorgan_ffiKt.errorMessage(e).isEmpty(), "error text");
        }
        check(ErrorKind.values().length > 0, "ErrorKind values");
        System.out.println("java consumer: IssuerKeyPair, StorageKey and a " + kind + " error from Rust: ok");
    }

    static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }
}
