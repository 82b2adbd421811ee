package kz.qorgan.tests

import kz.qorgan.decrypt
import kz.qorgan.encrypt
import kz.qorgan.Device
import kz.qorgan.GroupPolicy
import kz.qorgan.GroupReceiver
import kz.qorgan.Session

/**
 * Timings through Kotlin/JNA (not a test: printed by test.sh for
 * bindings/README.md). Each figure is the median of several rounds after a
 * warm-up.
 */
object TimingReport {
    private fun median(xs: List<Double>) = xs.sorted()[xs.size / 2]

    /** Median per-iteration time of [block] in microseconds. */
    private fun perCall(iterations: Int, rounds: Int = 7, block: () -> Unit): Double {
        // A long warm-up: JNA call paths reach C2 late, and earlier figures
        // swung by 3x between runs with a warm-up of one round.
        repeat(maxOf(iterations, 20_000)) { block() }
        val samples = (0 until rounds).map {
            val t0 = System.nanoTime()
            repeat(iterations) { block() }
            (System.nanoTime() - t0) / 1_000.0 / iterations
        }
        return median(samples)
    }

    private fun roundTrip(a: Session, b: Session, size: Int): Double {
        val payload = ByteArray(size) { it.toByte() }
        return perCall(2_000) { b.decrypt(a.encrypt(payload)) }
    }

    /**
     * Median time in ms of `Session.decryptBatch` over [queue] (500 messages),
     * each round on a fresh copy of the session restored from [sealed].
     */
    private fun oneToOneCatchUp(key: ByteArray, sealed: ByteArray, sessionId: ByteArray, generation: Long, queue: List<ByteArray>): Double {
        val samples = mutableListOf<Double>()
        repeat(6) { round ->
            Session.open(key, sealed, sessionId, generation).use { session ->
                val t0 = System.nanoTime()
                val r = session.decryptBatch(queue)
                val ms = (System.nanoTime() - t0) / 1e6
                check(r.all { it.plaintext != null })
                if (round > 0) samples += ms
            }
        }
        return median(samples)
    }

    /**
     * The store (files in a temporary directory, WAL, synchronous NORMAL):
     * µs per `StoreAccount.decrypt` of a 64-byte message, committed, and ms
     * per `decryptBatch` of 500 queued messages; medians over rounds, each
     * on messages encrypted for it.
     */
    private fun storeTimings(out: StringBuilder) {
        val dir = storeDir()
        StorePerson(dir, "alice").use { alice ->
            StorePerson(dir, "bob").use { bob ->
                introduce(bob, alice)
                alice.store.decrypt(bob.id, bob.store.encrypt(alice.id, ByteArray(64)).bytes, NOW)
                alice.store.encrypt(bob.id, ByteArray(64)).let { bob.store.decrypt(alice.id, it.bytes, NOW) }
                val bobId = bob.id
                fun queue(n: Int) = (0 until n).map { kz.qorgan.QueuedMessage(bobId, bob.store.encrypt(alice.id, ByteArray(64) { b -> b.toByte() }).bytes) }
                val single = (0 until 5).map { round ->
                    val q = queue(200)
                    val t0 = System.nanoTime()
                    for (m in q) alice.store.decrypt(m.sender, m.bytes, NOW)
                    (System.nanoTime() - t0) / 1_000.0 / q.size
                }.drop(1)
                val batch = (0 until 4).map {
                    val q = queue(500)
                    val t0 = System.nanoTime()
                    val r = alice.store.decryptBatch(q, NOW)
                    val ms = (System.nanoTime() - t0) / 1e6
                    check(r.all { it.delivery is kz.qorgan.StoreDelivery.Message })
                    ms
                }.drop(1)
                out.appendLine("timing: store decrypt 64 B + commit           %8.2f µs".format(median(single)))
                out.appendLine("timing: store catch-up, 500 msgs, decryptBatch %8.2f ms".format(median(batch)))
            }
        }
    }

    @JvmStatic
    fun main(args: Array<String>) {
        val out = StringBuilder()
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                establish(alice, bob).use { s ->
                    val trivial = perCall(20_000) { s.initiator.isPending() }
                    val rt64 = roundTrip(s.initiator, s.responder, 64)
                    val rt1k = roundTrip(s.initiator, s.responder, 1024)
                    val sessionKey = storageKey(8)
                    val sealedResponder = s.responder.seal(sessionKey)
                    val oneToOneQueue = (0 until 500).map { s.initiator.encrypt(ByteArray(64) { b -> b.toByte() }) }
                    val catchUp1to1 = oneToOneCatchUp(
                        sessionKey, sealedResponder, s.responder.sessionId(), s.responder.generation(), oneToOneQueue,
                    )
                    val policy = GroupPolicy(maxMessages = 1_000_000L, maxAgeSecs = 86_400L)
                    alice.createGroup(utf8("timing"), policy, 0L).use { group ->
                        val key = storageKey(9)
                        val sender = s.responder.remoteIdentity()
                        var rxGeneration = 0L
                        val sealedRx = GroupReceiver(group.distribution(), sender).use {
                            val sealed = it.seal(key)
                            rxGeneration = it.generation()
                            sealed
                        }
                        val queue = (0 until 500).map { group.encrypt(ByteArray(64) { b -> b.toByte() }) }
                        val batch = mutableListOf<Double>()
                        val single = mutableListOf<Double>()
                        repeat(6) { round ->
                            GroupReceiver.open(key, sealedRx, utf8("timing"), sender, rxGeneration).use { rx ->
                                val t0 = System.nanoTime()
                                val r = rx.decryptBatch(queue)
                                val ms = (System.nanoTime() - t0) / 1e6
                                check(r.all { it.decrypted != null })
                                if (round > 0) batch += ms
                            }
                            GroupReceiver.open(key, sealedRx, utf8("timing"), sender, rxGeneration).use { rx ->
                                val t0 = System.nanoTime()
                                queue.forEach { rx.decrypt(it) }
                                val ms = (System.nanoTime() - t0) / 1e6
                                if (round > 0) single += ms
                            }
                        }
                        out.appendLine("timing: trivial call (Session.isPending)        %8.2f µs".format(trivial))
                        out.appendLine("timing: encrypt+decrypt 64 B (1:1)             %8.2f µs".format(rt64))
                        out.appendLine("timing: encrypt+decrypt 1 KiB (1:1)            %8.2f µs".format(rt1k))
                        out.appendLine("timing: group catch-up, 500 msgs, decryptBatch %8.2f ms".format(median(batch)))
                        out.appendLine("timing: group catch-up, 500 msgs, decrypt x500 %8.2f ms".format(median(single)))
                        out.appendLine("timing: 1:1 catch-up, 500 msgs, decryptBatch   %8.2f ms".format(catchUp1to1))
                    }
                }
            }
        }
        storeTimings(out)
        out.appendLine("timing: JVM ${System.getProperty("java.version")}, ${Runtime.getRuntime().availableProcessors()} cores (other load on the machine skews these)")
        print(out)
    }
}
