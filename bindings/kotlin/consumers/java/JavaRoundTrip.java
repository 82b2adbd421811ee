// The round trip from Java: two devices, a 1:1 message each way, a group
// message, through the public API by its Kotlin names (compiled by test.sh
// with javac --release 8 against the jar of the Maven layout, and run).
// `now` and the group policy are Java longs; objects are AutoCloseable;
// the ByteArray forms of the per-message calls are static methods of
// ByteArrayOverloadsKt taking the object first.
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import kz.qorgan.AcceptResult;
import kz.qorgan.ByteArrayOverloadsKt;
import kz.qorgan.Device;
import kz.qorgan.FanoutResult;
import kz.qorgan.GroupPlaintext;
import kz.qorgan.GroupPolicy;
import kz.qorgan.GroupReceiver;
import kz.qorgan.OutboundGroup;
import kz.qorgan.Session;

public final class JavaRoundTrip {
    public static void main(String[] args) throws Exception {
        long now = 1_700_000_000L;
        try (Device alice = new Device(now);
             Device bob = new Device(now);
             Session a = alice.initiate(bob.bundle())) {
            AcceptResult accepted = ByteArrayOverloadsKt.accept(bob, ByteArrayOverloadsKt.encrypt(a, utf8("hello bob")), now);
            try (Session b = accepted.getSession()) {
                check(text(accepted.getPlaintext()).equals("hello bob"), "first message");
                check(text(ByteArrayOverloadsKt.decrypt(a, ByteArrayOverloadsKt.encrypt(b, utf8("hello alice")))).equals("hello alice"), "reply");
                try (OutboundGroup group = alice.createGroup(utf8("family"), new GroupPolicy(10_000L, 604_800L), now)) {
                    List<FanoutResult> fanout = group.distribute(Collections.singletonList(a));
                    byte[] distribution = ByteArrayOverloadsKt.decrypt(b, fanout.get(0).getCiphertext());
                    try (GroupReceiver rx = new GroupReceiver(distribution, b.remoteIdentity())) {
                        GroupPlaintext got = ByteArrayOverloadsKt.decrypt(rx, ByteArrayOverloadsKt.encrypt(group, utf8("to the group")));
                        check(text(got.getPlaintext()).equals("to the group"), "group message");
                        check(Arrays.equals(got.getSender(), alice.identityKey()), "group sender");
                    }
                }
            }
        }
        System.out.println("java round trip: 1:1 both ways and a group message: ok");
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }
}
