namespace MedLedger.Ledger;

/// <summary>
/// What a transaction does; selects the state module that executes it. The numeric values are part of the
/// signed encoding and frozen by golden tests: add new values, never renumber.
/// </summary>
public enum TransactionType : ushort
{
    /// <summary>Not a valid type; rejected.</summary>
    None = 0,

    /// <summary>An administrator registers a public key (an account) with a role.</summary>
    AccountRegister = 1,

    /// <summary>An account anchors a salted 32-byte commitment (e.g. of an off-chain document).</summary>
    CommitmentAnchor = 2,

    /// <summary>An administrator revokes an account; its later transactions are refused, its history stays verifiable.</summary>
    AccountRevoke = 3,

    /// <summary>An org admin (or a doctor, for patients) registers a user of its organisation with a role.</summary>
    UserRegister = 4,

    /// <summary>An account replaces its key; the old key's history stays verifiable, the old key stops working.</summary>
    KeyRotate = 5,

    /// <summary>An org admin proposes to admit or remove a member organisation (SPEC F2).</summary>
    OrganisationPropose = 6,

    /// <summary>An org admin votes for an open membership proposal on behalf of its organisation.</summary>
    OrganisationVote = 7,

    /// <summary>An author anchors a record: pointers, salted commitments, category, tiers, pseudonym, signatures.</summary>
    RecordAnchor = 8,

    /// <summary>A patient grants access to their records (FHIR Consent shaped, SPEC F17).</summary>
    ConsentGrant = 9,

    /// <summary>A patient revokes a grant.</summary>
    ConsentRevoke = 10,

    /// <summary>A node logs the reads and refused attempts it served (SPEC F19, F20).</summary>
    AccessLog = 11,

    /// <summary>A patient erases a record: its keys and ciphertext are destroyed off chain, a tombstone stays (SPEC F23).</summary>
    RecordErase = 12,

    /// <summary>The proposer reports the previous block's commit certificate, which pays its signers (SPEC F8; credit chains only).</summary>
    CommitReport = 13,

    /// <summary>A node reports two conflicting signed votes of one validator, which cuts its credit (SPEC F8; credit chains only).</summary>
    DoubleVoteEvidence = 14,

    /// <summary>A patient names (or replaces, or clears) the emergency contacts of one pseudonym and their threshold (SPEC F24).</summary>
    EmergencyContactsSet = 15,

    /// <summary>A doctor asks a patient pseudonym for read access (coded purpose, categories, tiers, period; no free text).</summary>
    AccessRequest = 16,

    /// <summary>The patient answers an access request with a matching grant of theirs, or declines it.</summary>
    AccessRequestRespond = 17,

    /// <summary>A doctor asks the patient to approve a record write in their portal: the complete anchor, without the consent yet.</summary>
    RecordWriteRequest = 18,

    /// <summary>The patient approves a pending record write with their consent signature (the record is anchored), or declines it.</summary>
    RecordWriteRespond = 19,
}

/// <summary>What an account may do. Values are part of the state encoding; add new values, never renumber.</summary>
public enum AccountRole : byte
{
    /// <summary>Not a valid role.</summary>
    None = 0,

    /// <summary>Registers and revokes accounts (the consortium's node operators).</summary>
    Administrator = 1,

    /// <summary>Submits ordinary transactions.</summary>
    Member = 2,

    /// <summary>A patient's pseudonym at one institution (SPEC F5); never carries a name on chain.</summary>
    Patient = 3,

    /// <summary>A clinician of a hospital, clinic or care home.</summary>
    Doctor = 4,

    /// <summary>An organisation's administrator: registers and revokes its staff, votes on admissions.</summary>
    OrgAdmin = 5,

    /// <summary>A regulator's auditor: reads the access log and reports of everyone, never record contents.</summary>
    Auditor = 6,

    /// <summary>A research institute's researcher: de-identified data only.</summary>
    Researcher = 7,

    /// <summary>An insurer's agent: reads what a patient shared for a claim.</summary>
    InsurerAgent = 8,

    /// <summary>A member node's service key: logs the accesses its node served and anchors for custodial users.</summary>
    Node = 9,
}
