//! A readable walk through a 1:1 conversation (bundle, hybrid handshake,
//! messages out of order, a save and restore, duplicates refused, safety
//! numbers) and a group conversation (sender keys distributed over 1:1
//! sessions, a member removed, rotation, batch catch-up), then accounts (a
//! second device linked by its code, a contact noticing it, a device the
//! server slipped in refused).
//! Run: `cargo run --release -p qorgan --example demo`.

use qorgan::account::{
    Account, Comparison, Contact, DeviceList, LinkCode, LinkRequest, fanout, receive, seal_envelope,
};
use qorgan::group::distribute;
use qorgan::{
    Expected, IdentityKeyPair, OutboundGroupSession, PreKeyBundle, PreKeyStore, RotationPolicy,
    SafetyNumber, SenderKeyDistribution, SenderKeyRing, Session, StorageKey, SystemRng,
};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn show(who: &str, what: &str, bytes: &[u8]) {
    let head: String = bytes.iter().take(12).map(|b| format!("{b:02x}")).collect();
    println!("  {who:<6} {what:<34} {:>5} bytes  {head}…", bytes.len());
}

fn main() -> Result<()> {
    let mut rng = SystemRng::new()?;

    println!("1. Bob publishes a prekey bundle");
    let bob_identity = IdentityKeyPair::generate(&mut rng);
    let mut bob_store = PreKeyStore::new(&mut rng, bob_identity, 0);
    let uploaded = bob_store.generate_one_time_prekeys(&mut rng, 20).len();
    bob_store.generate_kem_one_time_prekeys(&mut rng, 5);
    let published = bob_store.bundle().ok_or("no prekeys")?.to_bytes();
    show("Bob", "bundle (X25519 + ML-KEM-768)", &published);
    println!("         {uploaded} one-time X25519 prekeys and 5 one-time ML-KEM prekeys uploaded");

    println!("\n2. Alice verifies the bundle and runs the hybrid handshake");
    let alice_identity = IdentityKeyPair::generate(&mut rng);
    let bundle = PreKeyBundle::from_bytes(&published)?;
    let mut alice = Session::initiate(&mut rng, &alice_identity, &bundle)?;
    let first = alice.encrypt(&mut rng, "Сәлем, Бақыт! The report is ready.".as_bytes())?;
    show("Alice", "prekey message (carries handshake)", &first);
    let (mut bob, text) = bob_store.accept(&first, 0)?;
    println!("  Bob    reads: {:?}", String::from_utf8(text)?);
    println!(
        "         one-time prekeys left: {} X25519, {} ML-KEM (consumed by accept)",
        bob_store.one_time_prekey_count(),
        bob_store.kem_one_time_prekey_count()
    );

    println!("\n3. Bob answers with three messages; the network reorders them");
    let replies: Vec<Vec<u8>> = ["Rahmet!", "I will read it tonight.", "Send the annex too."]
        .iter()
        .map(|t| bob.encrypt(&mut rng, t.as_bytes()))
        .collect::<std::result::Result<_, _>>()?;
    show("Bob", "message #3 (normal message)", &replies[2]);
    for i in [2, 0] {
        println!(
            "  Alice  reads #{}: {:?}",
            i + 1,
            String::from_utf8(alice.decrypt(&replies[i])?)?
        );
    }

    println!("\n4. Alice's phone restarts: her session is sealed and restored");
    let storage_key = StorageKey::generate(&mut rng);
    let sealed = alice.seal(&mut rng, &storage_key);
    show("Alice", "sealed session state", &sealed);
    // The app records which session this is and the generation it sealed:
    // a blob of another session or an older one is refused on restore.
    let expected = Expected::new(alice.state_owner(), alice.generation());
    drop(alice);
    let mut alice = Session::open(&storage_key, &sealed, &expected)?;
    println!(
        "  Alice  reads #2 after restore: {:?}",
        String::from_utf8(alice.decrypt(&replies[1])?)?
    );
    match alice.decrypt(&replies[1]) {
        Err(e) => println!("  Alice  delivering #2 again is refused: {e}"),
        Ok(_) => return Err("a duplicate was decrypted twice".into()),
    }
    let fourth = bob.encrypt(&mut rng, b"Annex attached.")?;
    let mut tampered = fourth.clone();
    tampered[45] ^= 1;
    match alice.decrypt(&tampered) {
        Err(e) => println!("  Alice  a tampered copy of #4 is refused: {e}"),
        Ok(_) => return Err("a tampered message was accepted".into()),
    }
    println!(
        "  Alice  the genuine #4 still reads: {:?}",
        String::from_utf8(alice.decrypt(&fourth)?)?
    );

    println!("\n5. A long exchange: the ratchet turns on every reply");
    for round in 0..3 {
        let m = alice.encrypt(&mut rng, format!("round {round}").as_bytes())?;
        let r = bob.decrypt(&m)?;
        let back = bob.encrypt(&mut rng, &r)?;
        println!(
            "  round {round}: {} bytes out, echo {:?}",
            m.len(),
            String::from_utf8(alice.decrypt(&back)?)?
        );
    }

    println!("\n6. They compare safety numbers in person");
    let at_alice = SafetyNumber::new(
        alice_identity.public(),
        b"alice@ministry",
        bob_store.identity_key(),
        b"bob@ministry",
    );
    let at_bob = SafetyNumber::new(
        bob_store.identity_key(),
        b"bob@ministry",
        alice_identity.public(),
        b"alice@ministry",
    );
    println!("  Alice sees: {}", at_alice.display_string());
    println!("  Bob sees:   {}", at_bob.display_string());
    println!(
        "  QR scan matches: {}",
        at_bob.matches_scanned(&at_alice.scannable())
    );

    group_demo(&mut rng, &alice_identity, alice, bob)?;
    account_demo(&mut rng)
}

/// A 1:1 session pair between `a` (initiator) and a new device.
fn connect(rng: &mut SystemRng, a: &IdentityKeyPair) -> Result<(Session, Session)> {
    let id = IdentityKeyPair::generate(rng);
    let mut store = PreKeyStore::new(rng, id, 0);
    let mut ours = Session::initiate(rng, a, &store.bundle().ok_or("no prekeys")?)?;
    let hello = ours.encrypt(rng, b"hello")?;
    let (theirs, _) = store.accept(&hello, 0)?;
    Ok((ours, theirs))
}

fn group_demo(
    rng: &mut SystemRng,
    alice_id: &IdentityKeyPair,
    mut to_bob: Session,
    mut bob: Session,
) -> Result<()> {
    println!(
        "\n7. A group of three: Alice's sender key travels to Bob and Carol over 1:1 sessions"
    );
    let (mut to_carol, mut carol) = connect(rng, alice_id)?;
    let mut alice_out =
        OutboundGroupSession::new(rng, b"ministry/duty-roster", RotationPolicy::DEFAULT, 0)?;
    let dist = alice_out.distribution(alice_id);
    let wires = distribute(rng, &dist, &mut [&mut to_bob, &mut to_carol]);
    let mut rings = Vec::new();
    for (name, wire, session) in [
        ("Bob", &wires[0], &mut bob),
        ("Carol", &wires[1], &mut carol),
    ] {
        let wire = wire.as_ref().map_err(|e| e.to_string())?;
        let dist = SenderKeyDistribution::from_bytes(&session.decrypt(wire)?)?;
        rings.push(SenderKeyRing::new(&dist, session.remote_identity())?);
        println!(
            "  {name:<6} holds Alice's chain {:#010x} (sent as {} bytes over 1:1)",
            dist.announcement.chain_id,
            wire.len()
        );
    }
    let m = alice_out.encrypt(
        rng,
        alice_id,
        "Duty roster for Monday: Bob, Carol.".as_bytes(),
    )?;
    show("Alice", "group message (signed)", &m);
    for (name, ring) in ["Bob", "Carol"].iter().zip(rings.iter_mut()) {
        let read = ring.decrypt(&m)?;
        let from_alice = read.sender.ct_eq(alice_id.public());
        println!(
            "  {name:<6} reads: {:?} (from Alice: {from_alice}, chain rotation {}, iteration {})",
            String::from_utf8(read.plaintext)?,
            read.rotation,
            read.iteration
        );
    }

    println!("\n8. Carol leaves the group: Alice must rotate before sending again");
    alice_out.mark_member_removed();
    match alice_out.encrypt(rng, alice_id, b"new roster") {
        Err(e) => println!("  Alice  encrypt refused: {e}"),
        Ok(_) => return Err("sent without rotating after a removal".into()),
    }
    alice_out.rotate(rng, 0)?;
    let dist = alice_out.distribution(alice_id);
    let wire = to_bob.encrypt(rng, &dist.to_bytes())?;
    let dist = SenderKeyDistribution::from_bytes(&bob.decrypt(&wire)?)?;
    rings[0].add(&dist, bob.remote_identity())?;
    println!(
        "  Alice  rotated to chain {:#010x}; the new key went to Bob only",
        dist.announcement.chain_id
    );
    let secret = alice_out.encrypt(rng, alice_id, "Carol's access is revoked.".as_bytes())?;
    println!(
        "  Bob    reads: {:?}",
        String::from_utf8(rings[0].decrypt(&secret)?.plaintext)?
    );
    match rings[1].decrypt(&secret) {
        Err(e) => println!("  Carol  cannot read it: {e}"),
        Ok(_) => return Err("a removed member read the new chain".into()),
    }

    println!("\n9. Bob's phone was offline: 200 queued group messages, one batch call");
    let queued: Vec<Vec<u8>> = (0..200)
        .map(|i| alice_out.encrypt(rng, alice_id, format!("update {i}").as_bytes()))
        .collect::<std::result::Result<_, _>>()?;
    let refs: Vec<&[u8]> = queued.iter().map(Vec::as_slice).collect();
    let results = rings[0].decrypt_batch(&refs);
    let ok = results.iter().filter(|r| r.is_ok()).count();
    println!(
        "  Bob    decrypted {ok} of {} (all signatures checked together)",
        results.len()
    );
    let last = results
        .last()
        .ok_or("empty")?
        .as_ref()
        .map_err(|e| e.to_string())?;
    println!(
        "  Bob    last one: {:?}",
        String::from_utf8(last.plaintext.clone())?
    );
    Ok(())
}

/// A device: its identity and prekey store.
fn device(rng: &mut SystemRng) -> PreKeyStore {
    let id = IdentityKeyPair::generate(rng);
    PreKeyStore::new(rng, id, 0)
}

/// A list as it comes back from the server: bytes, verified on arrival.
fn served(list: &DeviceList) -> Result<DeviceList> {
    Ok(DeviceList::from_bytes(&list.to_bytes())?)
}

fn account_demo(rng: &mut SystemRng) -> Result<()> {
    println!("\n10. Accounts: Bob links his tablet by scanning the code it shows");
    let mut bob_phone = device(rng);
    let mut bob_tablet = device(rng);
    let mut alice_phone = device(rng);
    let mut bob = Account::create(rng, bob_phone.identity_key(), "Bob's phone")?;
    let alice = Account::create(rng, alice_phone.identity_key(), "Alice's phone")?;
    // Alice pinned Bob's account at first contact (version 1: one device).
    let mut bob_at_alice = Contact::pin(served(bob.list())?);
    let numbers_before = bob_at_alice.safety_number(alice.account_key(), b"alice", b"bob");
    let mut request = LinkRequest::new(rng, bob_tablet.identity_key());
    let code = request.code();
    println!(
        "  Tablet shows a QR code: {}… ({} characters, alphanumeric)",
        code.get(..24).unwrap_or_default(),
        code.len()
    );
    let scanned = LinkCode::parse(&code)?;
    let provisioning = bob.provision(rng, &scanned, "Bob's tablet", &[], false)?;
    show("Bob", "provisioning message (to tablet)", &provisioning);
    let (tablet, _) = request.complete(&provisioning)?;
    println!(
        "  Tablet is linked: list version {}, {} devices",
        tablet.head().version,
        tablet.list().devices().len()
    );
    match request.complete(&provisioning) {
        Err(e) => println!("  Tablet the same message replayed: {e}"),
        Ok(_) => return Err("a provisioning message opened twice".into()),
    }

    println!("\n11. Alice's app fetches Bob's new list (signed by his account key)");
    let change = bob_at_alice.update(&[served(bob.list())?])?;
    for d in &change.added {
        println!(
            "  Alice  sees \"Bob added a device: {}\" (list v{} -> v{})",
            d.label, change.from.version, change.to.version
        );
    }
    let numbers_after = bob_at_alice.safety_number(alice.account_key(), b"alice", b"bob");
    println!(
        "  Alice  account safety number unchanged: {}",
        numbers_before == numbers_after
    );
    let mut sessions = vec![
        Session::initiate(
            rng,
            alice_phone.identity(),
            &bob_phone.bundle().ok_or("no prekeys")?,
        )?,
        Session::initiate(
            rng,
            alice_phone.identity(),
            &bob_tablet.bundle().ok_or("no prekeys")?,
        )?,
    ];
    let alice_at_bob = Contact::pin(served(alice.list())?);
    let deliveries = fanout(
        rng,
        &alice,
        &mut bob_at_alice,
        &mut sessions,
        b"See you at 6.",
    );
    for (name, store, account) in [
        ("phone", &mut bob_phone, &bob),
        ("tablet", &mut bob_tablet, &tablet),
    ] {
        let d = deliveries
            .iter()
            .find(|d| d.device.ct_eq(store.identity_key()))
            .ok_or("no delivery")?;
        let wire = d.result.as_ref().map_err(|e| e.to_string())?;
        let (session, envelope) = store.accept(wire, 0)?;
        let got = receive(account, &alice_at_bob, session.remote_identity(), &envelope)?;
        let same = got
            .report
            .is_some_and(|r| (r.sender, r.peer) == (Comparison::Same, Comparison::Same));
        println!(
            "  Bob's {name:<6} reads: {:?} (list heads agree: {same})",
            String::from_utf8(got.body.to_vec())?
        );
    }

    println!("\n12. The server slips in a device of its own as \"Bob's laptop\"");
    let mut ghost = device(rng);
    let operator = Account::create(rng, ghost.identity_key(), "Bob's laptop")?;
    match bob_at_alice.update(&[served(operator.list())?]) {
        Err(e) => println!("  Alice  its device list is refused: {e}"),
        Ok(_) => return Err("a list signed by another key was accepted".into()),
    }
    // The directory still hands out the ghost's bundle under Bob's name.
    sessions.push(Session::initiate(
        rng,
        alice_phone.identity(),
        &ghost.bundle().ok_or("no prekeys")?,
    )?);
    let deliveries = fanout(
        rng,
        &alice,
        &mut bob_at_alice,
        &mut sessions,
        b"The code is 4711.",
    );
    let sent = deliveries.iter().filter(|d| d.result.is_ok()).count();
    let to_ghost = deliveries
        .iter()
        .find(|d| d.device.ct_eq(ghost.identity_key()))
        .ok_or("no report for the ghost")?;
    match &to_ghost.result {
        Err(e) => println!("  Alice  fan-out: {sent} ciphertexts; the ghost gets none: {e}"),
        Ok(_) => return Err("the ghost got a ciphertext".into()),
    }
    let mut from_ghost = Session::initiate(
        rng,
        ghost.identity(),
        &alice_phone.bundle().ok_or("no prekeys")?,
    )?;
    let forged = from_ghost.encrypt(
        rng,
        &seal_envelope(
            bob_at_alice.account(),
            alice.account_key(),
            None,
            b"Bob here, send the files",
        ),
    )?;
    let (session, envelope) = alice_phone.accept(&forged, 0)?;
    match receive(&alice, &bob_at_alice, session.remote_identity(), &envelope) {
        Err(e) => println!("  Alice  a message from the ghost as \"Bob\": {e}"),
        Ok(_) => return Err("a message from an unlisted device was accepted".into()),
    }
    Ok(())
}
