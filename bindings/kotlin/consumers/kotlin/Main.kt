// A consumer of the published package, compiled by test.sh with an older
// Kotlin compiler (kotlin-env.sh KOTLIN_CONSUMER_VERSION) against the jar of
// the Maven layout, and run with that compiler's kotlin-stdlib and JNA: two
// devices, a 1:1 message each way, a group message.
import kz.qorgan.Device
import kz.qorgan.GroupPolicy
import kz.qorgan.GroupReceiver
import kz.qorgan.accept
import kz.qorgan.decrypt
import kz.qorgan.encrypt
import kz.qorgan.use

/** The caller's clock (Unix seconds): the library reads none. */
const val NOW = 1_700_000_000L

fun main() {
    Device(NOW).use { alice ->
        Device(NOW).use { bob ->
            alice.initiate(bob.bundle()).use { a ->
                val accepted = bob.accept(a.encrypt("hello bob".toByteArray()), NOW)
                accepted.session.use { b ->
                    check(String(accepted.plaintext) == "hello bob") { "first message" }
                    check(String(a.decrypt(b.encrypt("hello alice".toByteArray()))) == "hello alice") { "reply" }
                    val policy = GroupPolicy(maxMessages = 10_000, maxAgeSecs = 604_800)
                    alice.createGroup("family".toByteArray(), policy, NOW).use { group ->
                        val distribution = b.decrypt(group.distribute(listOf(a))[0].ciphertext!!)
                        GroupReceiver(distribution, b.remoteIdentity()).use { rx ->
                            val got = rx.decrypt(group.encrypt("to the group".toByteArray()))
                            check(String(got.plaintext) == "to the group") { "group message" }
                            check(got.sender.contentEquals(alice.identityKey())) { "group sender" }
                        }
                    }
                }
            }
        }
    }
    println("kotlin consumer (Kotlin ${KotlinVersion.CURRENT} stdlib): 1:1 both ways and a group message: ok")
}
