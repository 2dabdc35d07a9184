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
}
