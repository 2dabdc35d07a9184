using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Ledger.Tests;

/// <summary>One founding organisation of a <see cref="MedicalChain"/>: its genesis administrator, node and encryption key.</summary>
internal sealed record MedicalOrganisation(string Id, OrganisationKind Kind, ISigningKey Admin, ISigningKey Node, ISigningKey Encryption)
{
    public Hash AdminId => MedicalChain.IdOf(Admin);

    public Hash NodeId => MedicalChain.IdOf(Node);
}

/// <summary>
/// A chain with a genesis v2 (member organisations, each with an org admin and a node account in genesis, plus a
/// consortium administrator that is the only validator) for the medical modules' tests. Every block is prepared by a
/// proposer node, executed by a second node (the replica) through <see cref="LedgerStateMachine.ExecuteBlock"/>, and
/// committed on both; the two must agree on the state root. Keys are fresh per instance, so tests assert behaviour,
/// never literal roots. Nonces are counted per key and never reused (gaps are allowed by the ledger).
/// </summary>
internal sealed class MedicalChain : IDisposable
{
    public const string ChainId = "medledger-medical";
    public const long GenesisTime = 1_700_000_000_000;
    public const long BlockIntervalMilliseconds = 1_000;
    public const long Day = 24L * 60 * 60 * 1000;

    public const string HospitalA = "hospital-a";
    public const string ClinicB = "clinic-b";
    public const string RegulatorC = "regulator-c";
    public const string InsurerD = "insurer-d";

    private readonly List<ISigningKey> _keys = [];
    private readonly Dictionary<Hash, ulong> _nonces = [];
    private readonly Dictionary<string, MedicalOrganisation> _organisations = new(StringComparer.Ordinal);
    private int _counter;

    public MedicalChain(params (string Id, OrganisationKind Kind)[] organisations)
        : this(null, 0, organisations)
    {
    }

    /// <summary>
    /// A credit chain (genesis v3): the nodes of the first <paramref name="validators"/> organisations are the genesis
    /// validators (power 1); blocks are proposed round-robin by the set's validators and carry a commit report of the
    /// previous block, signed by the validators <see cref="Signs"/> selects.
    /// </summary>
    public MedicalChain(CreditParameters? credit, int validators, params (string Id, OrganisationKind Kind)[] organisations)
    {
        Credit = credit;
        Admin = NewKey();
        var accounts = new List<GenesisAccount> { new("consortium-admin", Hex(Admin), AccountRole.Administrator) };
        var genesisOrganisations = new List<GenesisOrganisation>();
        foreach (var (id, kind) in organisations)
        {
            var organisation = new MedicalOrganisation(id, kind, NewKey(), NewKey(), NewKey());
            _organisations.Add(id, organisation);
            genesisOrganisations.Add(new GenesisOrganisation(id, $"Organisation {id}", kind, kind == OrganisationKind.Hospital ? "tertiary" : string.Empty, Hex(organisation.Encryption), $"https://{id}.example"));
            accounts.Add(new GenesisAccount($"{id}-admin", Hex(organisation.Admin), AccountRole.OrgAdmin, id));
            accounts.Add(new GenesisAccount($"{id}-node", Hex(organisation.Node), AccountRole.Node, id));
        }

        Genesis = new GenesisDocument(
            ChainId,
            StandardCryptoSuite.SuiteName,
            GenesisTime,
            credit is null ? [new GenesisValidator("validator-a", Hex(Admin), 10)] : [.. organisations.Take(validators).Select(o => new GenesisValidator($"{o.Id}-node", Hex(_organisations[o.Id].Node), 1))],
            accounts,
            genesisOrganisations,
            [new PolicyRule(AccountRole.Researcher, AccessPurpose.Research, [RecordCategory.Laboratory], [SensitivityTier.GeneralClinical])],
            credit);
        Genesis.Validate();
        Node = LedgerStateMachine.FromGenesis(Genesis);
        Replica = LedgerStateMachine.FromGenesis(Genesis);
    }

    public static ICryptoSuite Suite => CryptoSuites.Standard;

    /// <summary>The credit parameters, or null for a chain without credit.</summary>
    public CreditParameters? Credit { get; }

    /// <summary>On a credit chain, the certificate of the last committed block, which the next block reports.</summary>
    public CommitCertificate? LastCertificate { get; set; }

    /// <summary>On a credit chain, which validators sign each certificate (all by default).</summary>
    public Func<Hash, bool> Signs { get; set; } = _ => true;

    /// <summary>On a credit chain, a fixed proposer instead of the round-robin.</summary>
    public Hash? ProposerOverride { get; set; }

    /// <summary>Who proposes the next block: the admin on a chain without credit, else the round-robin of the set.</summary>
    public Hash NextProposer => Credit is null ? AdminId : ProposerOverride ?? Node.ValidatorSet.Validators[(int)(Node.Height % (ulong)Node.ValidatorSet.Validators.Count)].KeyId;

    /// <summary>The key of a registered or genesis key id.</summary>
    public ISigningKey KeyOf(Hash keyId) => _keys.Single(k => IdOf(k) == keyId);

    /// <summary>A precommit certificate of block <paramref name="blockHash"/> at <paramref name="height"/> from the given validators of <paramref name="validators"/>.</summary>
    public CommitCertificate Certify(ValidatorSet validators, ulong height, Hash blockHash, Func<Hash, bool>? signs = null, uint round = 0) =>
        new(height, round, blockHash, [.. validators.Validators.Where(v => (signs ?? Signs)(v.KeyId)).Select(v => new CommitSignature(v.KeyId, KeyOf(v.KeyId).Sign(Vote.EncodeSigningBytes(ChainId, VoteType.Precommit, height, round, blockHash))))]);

    /// <summary>The consortium administrator (no organisation) and only validator.</summary>
    public ISigningKey Admin { get; }

    public Hash AdminId => IdOf(Admin);

    public GenesisDocument Genesis { get; }

    /// <summary>The proposer node.</summary>
    public LedgerStateMachine Node { get; }

    /// <summary>A second node that executes every committed block as a validator does.</summary>
    public LedgerStateMachine Replica { get; }

    public IStateReader State => Node.CommittedState;

    /// <summary>The time the next default block gets.</summary>
    public long NextTime => Node.LastTimeUnixMilliseconds + BlockIntervalMilliseconds;

    public MedicalOrganisation this[string id] => _organisations[id];

    /// <summary>Hospital A, clinic B and regulator C: three founding members.</summary>
    public static MedicalChain ThreeOrganisations() => new((HospitalA, OrganisationKind.Hospital), (ClinicB, OrganisationKind.Clinic), (RegulatorC, OrganisationKind.Regulator));

    /// <summary>The three of <see cref="ThreeOrganisations"/> and insurer D.</summary>
    public static MedicalChain FourOrganisations() => new((HospitalA, OrganisationKind.Hospital), (ClinicB, OrganisationKind.Clinic), (RegulatorC, OrganisationKind.Regulator), (InsurerD, OrganisationKind.Insurer));

    public static Hash IdOf(ISigningKey key) => Suite.Hash(key.PublicKey.Span);

    public static string Hex(ISigningKey key) => Convert.ToHexStringLower(key.PublicKey.Span);

    /// <summary>A fresh key, disposed with the chain.</summary>
    public ISigningKey NewKey()
    {
        var key = Suite.GenerateSigningKey();
        _keys.Add(key);
        return key;
    }

    /// <summary>A distinct hash per call (record ids, pointers, commitments).</summary>
    public Hash NextHash(string label) => Suite.Hash(System.Text.Encoding.UTF8.GetBytes($"{label} {++_counter}"));

    /// <summary>A transaction signed by <paramref name="key"/> with its next nonce.</summary>
    public Transaction Sign(ISigningKey key, TransactionType type, byte[] payload)
    {
        var id = IdOf(key);
        var nonce = _nonces.GetValueOrDefault(id) + 1;
        _nonces[id] = nonce;
        return Transaction.Create(Suite, key, ChainId, type, nonce, Node.Height + 100, payload);
    }

    /// <summary>Prepares a block on the proposer, executes it on the replica, commits both, and checks they agree.</summary>
    public BlockProposal Run(long? time, params Transaction[] transactions)
    {
        var proposal = Node.PrepareBlock(time ?? NextTime, NextProposer, transactions, lastCommit: LastCertificate);
        var prepared = Replica.ExecuteBlock(proposal.Header, proposal.Transactions);
        Assert.Equal(proposal.Prepared.Root, prepared.Root);
        var signers = Node.ValidatorSet;
        Node.Commit(proposal.Header, proposal.Transactions, proposal.Prepared);
        Replica.Commit(proposal.Header, proposal.Transactions, prepared);
        Assert.Equal(Node.StateRoot, Replica.StateRoot);
        if (Credit is not null)
        {
            LastCertificate = Certify(signers, proposal.Header.Height, proposal.Header.ComputeHash(Suite));
        }

        return proposal;
    }

    /// <summary>Runs one block in which every transaction must be accepted.</summary>
    public BlockProposal Accept(params Transaction[] transactions) => AcceptAt(null, transactions);

    /// <summary>Runs one block at <paramref name="time"/> in which every transaction must be accepted.</summary>
    public BlockProposal AcceptAt(long? time, params Transaction[] transactions)
    {
        var proposal = Run(time, transactions);
        Assert.True(proposal.Rejected.Count == 0, string.Join("; ", proposal.Rejected.Select(r => $"{r.Transaction.Type}: {r.Result.Rejection}: {r.Result.Reason}")));
        Assert.Equal(transactions.Length, proposal.Transactions.Count(t => t.Type != TransactionType.CommitReport));
        return proposal;
    }

    /// <summary>
    /// Proves <paramref name="transaction"/> is refused with <paramref name="expected"/> when a block is prepared, that
    /// the block then changes nothing (the same state root), and that a block that includes it anyway is refused by
    /// the replica. Nothing is committed.
    /// </summary>
    public TransactionResult Refuse(Transaction transaction, TransactionRejection expected, long? time = null)
    {
        var rootBefore = Node.StateRoot;
        var blockTime = time ?? NextTime;
        var proposal = Node.PrepareBlock(blockTime, NextProposer, [transaction]);
        Assert.Empty(proposal.Transactions);
        var (_, result) = Assert.Single(proposal.Rejected);
        Assert.True(expected == result.Rejection, $"expected {expected}, got {result.Rejection}: {result.Reason}");
        Assert.False(string.IsNullOrEmpty(result.Reason));
        // On a credit chain even an empty block changes state (the proposer's reward), so compare with the empty block.
        Assert.Equal(Credit is null ? rootBefore : Node.PrepareBlock(blockTime, NextProposer, []).Header.StateRoot, proposal.Header.StateRoot);
        Assert.Equal(rootBefore, Node.StateRoot);

        // A proposer that includes the transaction anyway produces a block every validator refuses.
        var forced = proposal.Header with { TransactionsRoot = Block.ComputeTransactionsRoot(Suite, [transaction]), TransactionCount = 1 };
        var exception = Assert.Throws<InvalidBlockException>(() => Replica.ExecuteBlock(forced, [transaction]));
        Assert.Contains(expected.ToString(), exception.Reason, StringComparison.Ordinal);
        return result;
    }

    /// <summary>Proves the mempool's admission check refuses with <paramref name="expected"/>, and so does a block.</summary>
    public void RefuseAtAdmission(Transaction transaction, TransactionRejection expected)
    {
        var result = Node.CheckTransaction(transaction, transaction.ComputeId(Suite));
        Assert.True(expected == result.Rejection, $"expected {expected} at admission, got {result.Rejection}: {result.Reason}");
        Refuse(transaction, expected);
    }

    /// <summary>Proves the admission check accepts (execution rules are not part of it).</summary>
    public void Admit(Transaction transaction)
    {
        var result = Node.CheckTransaction(transaction, transaction.ComputeId(Suite));
        Assert.True(result.IsAccepted, $"refused at admission: {result.Rejection}: {result.Reason}");
    }

    // ---- users

    public static byte[] UserPayload(ISigningKey key, AccountRole role, string organisation, string name) =>
        new UserRegisterPayload(key.PublicKey.ToArray(), role, organisation, name).Encode();

    public Transaction RegisterTransaction(ISigningKey registrar, ISigningKey key, AccountRole role, string organisation, string? name = null) =>
        Sign(registrar, TransactionType.UserRegister, UserPayload(key, role, organisation, name ?? DefaultName(role)));

    /// <summary>Registers a new user and returns its key.</summary>
    public ISigningKey Register(ISigningKey registrar, AccountRole role, string organisation, string? name = null)
    {
        var key = NewKey();
        Accept(RegisterTransaction(registrar, key, role, organisation, name));
        return key;
    }

    public ISigningKey Doctor(string organisation) => Register(this[organisation].Admin, AccountRole.Doctor, organisation);

    public ISigningKey Patient(string organisation) => Register(this[organisation].Admin, AccountRole.Patient, organisation);

    public static string DefaultName(AccountRole role) => role == AccountRole.Patient ? string.Empty : $"{role} user";

    public Account AccountOf(ISigningKey key) => Node.GetAccount(IdOf(key)) ?? throw new InvalidOperationException("not registered");

    public Transaction RotateTransaction(ISigningKey oldKey, ISigningKey newKey) =>
        Sign(oldKey, TransactionType.KeyRotate, new KeyRotatePayload(newKey.PublicKey.ToArray(), newKey.Sign(KeyRotatePayload.EncodeProofBytes(ChainId, IdOf(oldKey)))).Encode());

    public Transaction RevokeTransaction(ISigningKey sender, Hash account) =>
        Sign(sender, TransactionType.AccountRevoke, new AccountRevokePayload(account).Encode());

    // ---- records

    public RecordTierAnchor Tier(SensitivityTier tier) => new(tier, NextHash("ciphertext"), NextHash("commitment"), 1_024);

    /// <summary>An unsigned record anchor; sign it with <see cref="SignRecord"/>.</summary>
    public RecordAnchorPayload RecordDraft(
        ISigningKey author,
        Hash patient,
        string organisation,
        WriteAuthorisation authorisation,
        RecordCategory category = RecordCategory.Laboratory,
        SensitivityTier[]? tiers = null,
        long? created = null,
        Hash grantId = default) => new(
            NextHash("record"),
            patient,
            IdOf(author),
            organisation,
            category,
            created ?? NextTime,
            (tiers ?? [SensitivityTier.GeneralClinical]).Select(Tier).ToArray(),
            [],
            authorisation,
            Hash.Zero,
            [],
            grantId);

    /// <summary>Signs the author statement with <paramref name="author"/> and, if given, the consent with <paramref name="consent"/>.</summary>
    public static RecordAnchorPayload SignRecord(RecordAnchorPayload draft, ISigningKey author, ISigningKey? consent = null)
    {
        var signed = draft with { AuthorSignature = author.Sign(draft.EncodeAuthorStatement(ChainId)) };
        return consent is null ? signed : signed with { ConsentSigner = IdOf(consent), ConsentSignature = consent.Sign(draft.EncodeConsentStatement(ChainId)) };
    }

    /// <summary>A record by <paramref name="author"/> for <paramref name="patient"/> (its current key co-signs), signed.</summary>
    public RecordAnchorPayload ConsentedRecord(ISigningKey author, ISigningKey patient, string organisation, RecordCategory category = RecordCategory.Laboratory, SensitivityTier[]? tiers = null) =>
        SignRecord(RecordDraft(author, UserIdOf(patient), organisation, WriteAuthorisation.PatientSignature, category, tiers), author, patient);

    public Transaction AnchorTransaction(ISigningKey sender, RecordAnchorPayload payload) => Sign(sender, TransactionType.RecordAnchor, payload.Encode());

    /// <summary>Anchors a consented record written and sent by <paramref name="author"/>; returns its id.</summary>
    public Hash AnchorRecord(ISigningKey author, ISigningKey patient, string organisation, RecordCategory category = RecordCategory.Laboratory, SensitivityTier[]? tiers = null)
    {
        var payload = ConsentedRecord(author, patient, organisation, category, tiers);
        Accept(AnchorTransaction(author, payload));
        return payload.RecordId;
    }

    /// <summary>The user id of a key's account (its first key's id).</summary>
    public Hash UserIdOf(ISigningKey key) => (Node.GetAccount(IdOf(key)) ?? throw new InvalidOperationException("not registered")).EffectiveUserId(IdOf(key));

    // ---- consent

    public static ConsentGrantPayload Terms(
        Hash patient,
        GrantActor actor,
        GrantActions actions = GrantActions.Read,
        AccessPurpose purpose = AccessPurpose.Treatment,
        RecordCategory[]? categories = null,
        SensitivityTier[]? tiers = null,
        Hash[]? records = null,
        long from = GenesisTime,
        long until = GenesisTime + (30 * Day)) =>
        new(patient, actor, actions, purpose, categories ?? [], tiers ?? [SensitivityTier.GeneralClinical], records ?? [], from, until);

    public Transaction GrantTransaction(ISigningKey patient, ConsentGrantPayload terms) => Sign(patient, TransactionType.ConsentGrant, terms.Encode());

    /// <summary>Grants in one block; returns the grant id (the transaction id).</summary>
    public Hash Grant(ISigningKey patient, ConsentGrantPayload terms)
    {
        var transaction = GrantTransaction(patient, terms);
        Accept(transaction);
        return transaction.ComputeId(Suite);
    }

    public Transaction RevokeGrantTransaction(ISigningKey patient, Hash grantId) => Sign(patient, TransactionType.ConsentRevoke, new ConsentRevokePayload(grantId).Encode());

    /// <summary>The policy's read decision for the reader's committed account and the committed record.</summary>
    public ReadDecision DecideRead(ISigningKey reader, Hash recordId, AccessPurpose purpose = AccessPurpose.None, long? at = null)
    {
        var account = Node.GetAccount(IdOf(reader)) ?? throw new InvalidOperationException("reader not registered");
        var record = Node.GetRecord(recordId) ?? throw new InvalidOperationException("no such record");
        return AccessPolicy.DecideRead(State, IdOf(reader), account, record, purpose, at ?? Node.LastTimeUnixMilliseconds);
    }

    public void Dispose()
    {
        Node.Dispose();
        Replica.Dispose();
        foreach (var key in _keys)
        {
            key.Dispose();
        }
    }
}
