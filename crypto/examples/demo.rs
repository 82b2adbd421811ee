//! A readable walk through a 1:1 conversation (bundle, hybrid handshake,
//! messages out of order, a save and restore, duplicates refused, safety
//! numbers) and a group conversation (sender keys distributed over 1:1
//! sessions, a member removed, rotation, batch catch-up), then accounts (a
//! second device linked by its code, a contact noticing it, a device the
//! server slipped in refused), a group with a roster (a member removed
//! forces a rotation before the next send; a device the server enrolled
//! gets nothing) and organisation certificates (a colleague "verified by"
//! the ministry from a QR code; an impostor's certificate refused).
//! Run: `cargo run --release -p qorgan --example demo`.

use qorgan::account::{
    Account, Comparison, Contact, DeviceList, LinkCode, LinkRequest, fanout, receive, seal_envelope,
};
use qorgan::certificate::{
    Claim, ClaimTag, IssuerKeyPair, Presentation, RevocationList, Statement, TrustAnchor,
};
use qorgan::group::distribute;
use qorgan::roster::{Member, Role, Roster, distribute_in_roster};
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
    account_demo(&mut rng)?;
    roster_demo(&mut rng)?;
    certificate_demo(&mut rng)
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

/// A person with one device: its identity and prekeys, and its account.
struct Person {
    store: PreKeyStore,
    account: Account,
}

fn person(rng: &mut SystemRng, label: &str) -> Result<Person> {
    let store = device(rng);
    let account = Account::create(rng, store.identity_key(), label)?;
    Ok(Person { store, account })
}

/// A first message from `from` to `to`: the sender's session, and what
/// `to` reads of `ciphertext` (its session and the plaintext).
fn open_first(to: &mut Person, ciphertext: &[u8]) -> Result<(Session, Vec<u8>)> {
    Ok(to.store.accept(ciphertext, 0)?)
}

fn roster_demo(rng: &mut SystemRng) -> Result<()> {
    println!("\n13. A group with a roster: Asel (admin) signs who is in it");
    let asel = person(rng, "Asel's phone")?;
    let mut bob = person(rng, "Bob's phone")?;
    let mut dana = person(rng, "Dana's phone")?;
    let mut ghost = person(rng, "operator's listener")?;
    let members = vec![
        Member::new(*asel.account.account_key(), Role::Admin),
        Member::new(*bob.account.account_key(), Role::Member),
        Member::new(*dana.account.account_key(), Role::Member),
    ];
    let r1 = Roster::create(asel.account.key_pair()?, b"ministry/ops", members)?;
    show("Asel", "roster, epoch 1 (3 members)", &r1.to_bytes());
    // Every device takes the roster from the server as bytes, verified.
    let r1 = Roster::from_bytes(&r1.to_bytes())?;
    let mut out = OutboundGroupSession::new_in_roster(
        rng,
        &r1,
        asel.account.account_key(),
        RotationPolicy::DEFAULT,
        0,
    )?;
    let mut sessions = Vec::new();
    for p in [&mut bob, &mut dana, &mut ghost] {
        sessions.push(Session::initiate(
            rng,
            asel.store.identity(),
            &p.store.bundle().ok_or("no prekeys")?,
        )?);
    }
    // The lists Asel verified: her own and her contacts' (copies, as her
    // app holds them). The operator also handed her a session with its
    // listener, whose list it made.
    let verified: Vec<DeviceList> = [&asel, &bob, &dana, &ghost]
        .iter()
        .map(|p| p.account.list().clone())
        .collect();
    let lists: Vec<&DeviceList> = verified.iter().collect();
    let mut refs: Vec<&mut Session> = sessions.iter_mut().collect();
    let wires = distribute_in_roster(
        rng,
        &out.distribution(asel.store.identity()),
        &r1,
        &lists,
        &mut refs,
    )?;
    match &wires[2] {
        Err(e) => println!("  Asel   the operator's listener gets no key: {e}"),
        Ok(_) => return Err("a device outside the roster got the chain".into()),
    }
    let mut rings = Vec::new();
    for (p, wire) in [(&mut bob, &wires[0]), (&mut dana, &wires[1])] {
        let (session, plaintext) = open_first(p, wire.as_ref().map_err(|e| e.to_string())?)?;
        let dist = SenderKeyDistribution::from_bytes(&plaintext)?;
        let ring = SenderKeyRing::new_in_roster(
            &dist,
            session.remote_identity(),
            &r1,
            asel.account.list(),
            p.account.account_key(),
        )?;
        rings.push((session, ring));
    }
    let m = out.encrypt(
        rng,
        asel.store.identity(),
        "Briefing at 9, room 4.".as_bytes(),
    )?;
    for (name, (_, ring)) in ["Bob", "Dana"].iter().zip(rings.iter_mut()) {
        let read = ring.decrypt_in_roster(&m, &r1, asel.account.list())?;
        println!(
            "  {name:<6} reads: {:?} (roster epoch {})",
            String::from_utf8(read.plaintext)?,
            read.roster.map_or(0, |h| h.version)
        );
    }

    println!("\n14. Asel removes Dana: the next message waits for a new chain");
    let r2 = r1.without_member(asel.account.key_pair()?, dana.account.account_key())?;
    let (held, change) = r1.advance(&[Roster::from_bytes(&r2.to_bytes())?])?;
    println!(
        "  Asel   roster epoch {} -> {}: {} removed, signed by an admin",
        change.from.version,
        change.to.version,
        change.removed.len()
    );
    out.apply_roster(&change)?;
    match out.encrypt(rng, asel.store.identity(), b"Dana must not read this") {
        Err(e) => println!("  Asel   encrypt refused until she rotates: {e}"),
        Ok(_) => return Err("sent on the old chain after a removal".into()),
    }
    out.rotate(rng, 0)?;
    let mut refs: Vec<&mut Session> = sessions.iter_mut().collect();
    let wires = distribute_in_roster(
        rng,
        &out.distribution(asel.store.identity()),
        &held,
        &lists,
        &mut refs,
    )?;
    match &wires[1] {
        Err(e) => println!("  Asel   the new chain goes to Bob only; Dana: {e}"),
        Ok(_) => return Err("a removed member got the new chain".into()),
    }
    // Bob's app fetched epoch 2 too (it holds the newest roster it verified).
    let (bob_held, _) = r1.advance(&[Roster::from_bytes(&r2.to_bytes())?])?;
    let (bob_session, bob_ring) = rings.first_mut().ok_or("no ring")?;
    let dist = SenderKeyDistribution::from_bytes(
        &bob_session.decrypt(wires[0].as_ref().map_err(|e| e.to_string())?)?,
    )?;
    bob_ring.add_in_roster(
        &dist,
        bob_session.remote_identity(),
        &bob_held,
        asel.account.list(),
        bob.account.account_key(),
    )?;
    let secret = out.encrypt(rng, asel.store.identity(), "New room: 7.".as_bytes())?;
    let read = bob_ring.decrypt_in_roster(&secret, &bob_held, asel.account.list())?;
    println!(
        "  Bob    reads: {:?} (chain rotation {}, roster epoch {})",
        String::from_utf8(read.plaintext)?,
        read.rotation,
        read.roster.map_or(0, |h| h.version)
    );
    let (_, dana_ring) = rings.get_mut(1).ok_or("no ring")?;
    match dana_ring.decrypt_in_roster(&secret, &r1, asel.account.list()) {
        Err(e) => println!("  Dana   cannot read it: {e}"),
        Ok(_) => return Err("a removed member read the new chain".into()),
    }
    Ok(())
}

fn certificate_demo(rng: &mut SystemRng) -> Result<()> {
    println!("\n15. A colleague verified by an organisation certificate (QR code, offline)");
    let now = 1_790_000_000;
    // The ministry's key lives offline; apps ship its public key as an anchor.
    let ministry = IssuerKeyPair::generate(rng);
    let anchors = [TrustAnchor::new(*ministry.public(), "Ministry of Defence")];
    let bob = person(rng, "Bob's phone")?;
    let cert = Statement::certify_account(
        &ministry,
        bob.account.account_key(),
        1001,
        now - 86_400,
        now + 365 * 86_400,
        vec![
            Claim::display_name("Major B. Nurlanov")?,
            Claim::unit("Signals")?,
        ],
    )?;
    let text = Presentation::new(vec![cert])?.to_text();
    println!(
        "  Bob    shows a QR code: {}… ({} characters, alphanumeric)",
        text.get(..24).unwrap_or_default(),
        text.len()
    );
    let crl = RevocationList::issue(&ministry, now - 3600, now + 86_400, vec![17])?;
    let verified = Presentation::from_text(&text)?.verify_account(
        bob.account.account_key(),
        &anchors,
        std::slice::from_ref(&crl),
        now,
    )?;
    let name = verified
        .claims
        .iter()
        .find(|c| c.tag == ClaimTag::DISPLAY_NAME)
        .map_or("", |c| c.value.as_str());
    println!(
        "  Asel   scans it: {name:?}, \"{}\" (revocations {:?})",
        verified.label(),
        verified.revocation
    );

    println!("\n16. An impostor's certificate is refused");
    // Mallory makes a key of her own, calls it the ministry, and certifies
    // her own account with Bob's name.
    let fake_ministry = IssuerKeyPair::generate(rng);
    let mallory = person(rng, "Mallory's phone")?;
    let fake = Statement::certify_account(
        &fake_ministry,
        mallory.account.account_key(),
        1001,
        now - 86_400,
        now + 365 * 86_400,
        vec![Claim::display_name("Major B. Nurlanov")?],
    )?;
    let fake_text = Presentation::new(vec![fake])?.to_text();
    match Presentation::from_text(&fake_text)?.verify_account(
        mallory.account.account_key(),
        &anchors,
        std::slice::from_ref(&crl),
        now,
    ) {
        Err(e) => println!("  Asel   Mallory's own \"ministry\": {e}"),
        Ok(_) => return Err("a certificate from an untrusted key was believed".into()),
    }
    // She shows Bob's genuine code as her own.
    match Presentation::from_text(&text)?.verify_account(
        mallory.account.account_key(),
        &anchors,
        &[crl],
        now,
    ) {
        Err(e) => println!("  Asel   Bob's code shown for Mallory's account: {e}"),
        Ok(_) => return Err("a certificate was believed for another account".into()),
    }
    // Or edits the text she was given: one character changed.
    let mut altered: Vec<char> = text.chars().collect();
    if let Some(c) = altered.get_mut(40) {
        *c = if *c == 'A' { 'B' } else { 'A' };
    }
    let altered: String = altered.into_iter().collect();
    match Presentation::from_text(&altered)
        .and_then(|p| p.verify_account(bob.account.account_key(), &anchors, &[], now))
    {
        Err(e) => println!("  Asel   an altered code: {e}"),
        Ok(_) => return Err("an altered certificate was believed".into()),
    }
    Ok(())
}
