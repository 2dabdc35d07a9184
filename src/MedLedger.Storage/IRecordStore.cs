using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Storage;

/// <summary>One encrypted tier as the holding node stores it: the ciphertext (content-addressed) and its data key
/// wrapped for the patient and for the holding organisation.</summary>
public sealed record StoredTier(SensitivityTier Tier, Hash Address, byte[] Ciphertext, byte[] PatientEnvelope, byte[] OrganisationEnvelope);

/// <summary>A record's off-chain part at its holding node.</summary>
public sealed record StoredRecord(Hash RecordId, IReadOnlyList<StoredTier> Tiers);

/// <summary>A held blob for the integrity audit (SPEC F21).</summary>
public sealed record HeldBlob(Hash RecordId, SensitivityTier Tier, Hash Address, byte[] Ciphertext);

/// <summary>
/// A user whose keys the node keeps in custody (SPEC F4): a login name, the user id the keys belong to, and the
/// vault (<c>MedLedger.Crypto.KeyVault</c>) sealed under the user's passphrase — the node cannot open it alone.
/// </summary>
public sealed record CustodialAccount(string Username, Hash UserId, AccountRole Role, string Organisation, byte[] Vault, long CreatedUnixMilliseconds);

/// <summary>
/// A master patient index entry at the patient's home organisation (SPEC F5). The node stores no searchable plaintext:
/// lookups use blind tokens (keyed hashes of normalised identifiers) and the demographics are sealed with a node key.
/// <paramref name="Pseudonyms"/> are the patient's user ids, one per institution relationship.
/// </summary>
public sealed record EmpiEntry(string Username, byte[] NationalIdToken, byte[] NameBirthDateToken, byte[] SealedDemographics, IReadOnlyList<Hash> Pseudonyms);

/// <summary>A record as the chain index lists it (derived from committed anchors).</summary>
public sealed record IndexedRecord(Hash RecordId, Hash Patient, Hash AuthorUser, string Organisation, RecordCategory Category, long CreatedUnixMilliseconds, ulong Height, bool Erased);

/// <summary>
/// An access-log entry as the chain index holds it: the on-chain entry (from an AccessLog transaction, or derived
/// from a write, grant, revoke or erase transaction), where it came from, and a sequence number for paging.
/// </summary>
public sealed record IndexedAccess(long Sequence, ulong Height, Hash TransactionId, string Organisation, AccessLogEntry Entry);

/// <summary>A filter over the indexed access log; null fields do not filter. Results come newest first.</summary>
public sealed record AccessQuery(
    Hash? Actor = null,
    IReadOnlyCollection<Hash>? Patients = null,
    Hash? RecordId = null,
    AccessOutcome? Outcome = null,
    AccessPurpose? Purpose = null,
    AccessAction? Action = null,
    string? Organisation = null,
    long? FromUnixMilliseconds = null,
    long? ToUnixMilliseconds = null,
    long? BeforeSequence = null,
    int Limit = 100);

/// <summary>What one committed block adds to the index.</summary>
public sealed record IndexBatch(ulong Height, IReadOnlyList<IndexedRecord> Records, IReadOnlyList<Hash> ErasedRecords, IReadOnlyList<(Hash TransactionId, string Organisation, AccessLogEntry Entry)> Accesses);

/// <summary>
/// The pending upload of a record write request (ledger <c>RecordWriteRequest</c>) whose sealed tiers this node holds
/// before the patient answers, and the height after which the request lapses unanswered
/// (<c>RecordWriteRequestPayload.ExpiresAtHeight</c>). Once the chain is past that height, the chain indexer destroys the
/// ciphertext unless the request was approved (docs/offchain-store.md, "Pending writes").
/// </summary>
public sealed record PendingWrite(Hash RecordId, ulong ExpiresAtHeight);

/// <summary>
/// A node's off-chain store (ARCHITECTURE §6, §8): the ciphertext and key envelopes of the records its organisation
/// holds, the custodial key vaults and master patient index of its users, and an index of the chain (records by
/// patient and author, the access log) rebuilt from committed blocks. Thread-safe; SQLite by default.
/// </summary>
public interface IRecordStore : IDisposable
{
    /// <summary>Stores every tier of a record atomically. Re-storing identical tiers is a no-op; a ciphertext whose hash
    /// is not its address is refused with <see cref="ArgumentException"/>.</summary>
    void PutRecord(StoredRecord record);

    /// <summary>
    /// Stores several records, each atomically and each as <see cref="PutRecord"/> would (a batch upload): the result
    /// has one slot per record, null when it is stored, else the exception <see cref="PutRecord"/> would have thrown
    /// (and nothing of that record is written). A store may commit them together.
    /// </summary>
    IReadOnlyList<Exception?> PutRecords(IReadOnlyList<StoredRecord> records);

    /// <summary>The ciphertext at <paramref name="address"/>, or null.</summary>
    byte[]? GetBlob(Hash address);

    /// <summary>The stored tiers of a record (empty when not held here or shredded).</summary>
    IReadOnlyList<StoredTier> GetRecord(Hash recordId);

    /// <summary>Every held blob, for the integrity audit.</summary>
    IEnumerable<HeldBlob> EnumerateBlobs();

    /// <summary>Destroys a record's ciphertext and key envelopes (crypto-shredding; SQLite secure_delete). Returns
    /// whether anything was held.</summary>
    bool Shred(Hash recordId);

    /// <summary>
    /// Stores records as <see cref="PutRecords(IReadOnlyList{StoredRecord})"/> does and registers each pending write of
    /// <paramref name="pendingWrites"/> (as <see cref="RegisterPendingWrites"/>) in the same transaction as the record it
    /// names: a record that is refused registers nothing. Every pending write must name a record of the batch, at most
    /// one per record id (<see cref="ArgumentException"/>).
    /// </summary>
    IReadOnlyList<Exception?> PutRecords(IReadOnlyList<StoredRecord> records, IReadOnlyCollection<PendingWrite> pendingWrites);

    /// <summary>
    /// Registers pending writes, atomically. A record id already registered keeps the later of its two expiry heights,
    /// so a registration never brings a shred forward. An expiry height above <see cref="long.MaxValue"/> is refused
    /// with <see cref="ArgumentOutOfRangeException"/>.
    /// </summary>
    void RegisterPendingWrites(IReadOnlyCollection<PendingWrite> pendingWrites);

    /// <summary>
    /// The registered pending writes expired at <paramref name="height"/> — expiry height below it — in order of expiry
    /// height, then record id; at most <paramref name="limit"/>.
    /// </summary>
    IReadOnlyList<PendingWrite> ExpiredPendingWrites(ulong height, int limit);

    /// <summary>
    /// Settles pending writes expired at <paramref name="height"/>, in one transaction: for each id of
    /// <paramref name="shred"/>, destroys the record's ciphertext and key envelopes as <see cref="Shred"/> does and drops
    /// its registration; for each id of <paramref name="release"/>, only drops the registration. An id that is not
    /// registered with an expiry height below <paramref name="height"/> (settled already, or registered again with a later
    /// expiry meanwhile) is left alone. Returns the ids of <paramref name="shred"/> whose ciphertext was held and is now
    /// destroyed. An id in both lists is refused with <see cref="ArgumentException"/>.
    /// </summary>
    IReadOnlyList<Hash> SettlePendingWrites(ulong height, IReadOnlyCollection<Hash> shred, IReadOnlyCollection<Hash> release);

    /// <summary>Adds a custodial account; refuses a taken username with <see cref="InvalidOperationException"/>.</summary>
    void PutCustodialAccount(CustodialAccount account);

    /// <summary>Replaces the vault of an existing custodial account (after adding a pseudonym or rotating a key).</summary>
    void UpdateVault(string username, byte[] vault);

    /// <summary>The custodial account with this username (case-insensitive), or null.</summary>
    CustodialAccount? GetCustodialAccount(string username);

    /// <summary>The custodial account of this user id, or null.</summary>
    CustodialAccount? GetCustodialAccountByUser(Hash userId);

    /// <summary>Adds or replaces the EMPI entry of <see cref="EmpiEntry.Username"/>.</summary>
    void PutEmpiEntry(EmpiEntry entry);

    /// <summary>EMPI entries matching a national-id token or a name-and-birth-date token.</summary>
    IReadOnlyList<EmpiEntry> FindEmpiEntries(byte[]? nationalIdToken, byte[]? nameBirthDateToken);

    /// <summary>The EMPI entry that lists <paramref name="pseudonym"/>, or null.</summary>
    EmpiEntry? FindEmpiEntryByPseudonym(Hash pseudonym);

    /// <summary>The height the index has absorbed (0: nothing).</summary>
    ulong IndexedHeight { get; }

    /// <summary>Adds one block's index entries and advances <see cref="IndexedHeight"/> to its height, atomically.
    /// Blocks must come in order: a batch whose height is not <see cref="IndexedHeight"/> + 1 throws
    /// <see cref="InvalidOperationException"/>.</summary>
    void Index(IndexBatch batch);

    /// <summary>Records of these patient pseudonyms, newest first.</summary>
    IReadOnlyList<IndexedRecord> RecordsOfPatients(IReadOnlyCollection<Hash> patients, int limit);

    /// <summary>Records authored by a user (a doctor's practice history, SPEC F16), newest first.</summary>
    IReadOnlyList<IndexedRecord> RecordsByAuthor(Hash authorUser, int limit);

    /// <summary>Access-log entries matching the query, newest first.</summary>
    IReadOnlyList<IndexedAccess> QueryAccess(AccessQuery query);
}
