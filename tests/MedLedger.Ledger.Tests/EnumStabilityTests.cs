namespace MedLedger.Ledger.Tests;

/// <summary>
/// Persisted and signed enum values never change (Garnet's PersistedEnumStabilityTests): they are written into
/// transactions, votes and state. Each test lists every member with its number; adding a member means adding a line
/// here, and renumbering or removing one fails.
/// </summary>
public sealed class EnumStabilityTests
{
    // Proves TransactionType keeps its u16 wire values.
    [Fact]
    public void TransactionType_Values_AreFrozen()
    {
        AssertFrozen<TransactionType>(typeof(ushort), new()
        {
            ["None"] = 0,
            ["AccountRegister"] = 1,
            ["CommitmentAnchor"] = 2,
            ["AccountRevoke"] = 3,
            ["UserRegister"] = 4,
            ["KeyRotate"] = 5,
            ["OrganisationPropose"] = 6,
            ["OrganisationVote"] = 7,
            ["RecordAnchor"] = 8,
            ["ConsentGrant"] = 9,
            ["ConsentRevoke"] = 10,
            ["AccessLog"] = 11,
            ["RecordErase"] = 12,
            ["CommitReport"] = 13,
            ["DoubleVoteEvidence"] = 14,
            ["EmergencyContactsSet"] = 15,
            ["AccessRequest"] = 16,
            ["AccessRequestRespond"] = 17,
            ["RecordWriteRequest"] = 18,
            ["RecordWriteRespond"] = 19,
        });
    }

    // Proves AccountRole keeps its u8 state values.
    [Fact]
    public void AccountRole_Values_AreFrozen()
    {
        AssertFrozen<AccountRole>(typeof(byte), new()
        {
            ["None"] = 0,
            ["Administrator"] = 1,
            ["Member"] = 2,
            ["Patient"] = 3,
            ["Doctor"] = 4,
            ["OrgAdmin"] = 5,
            ["Auditor"] = 6,
            ["Researcher"] = 7,
            ["InsurerAgent"] = 8,
            ["Node"] = 9,
        });
    }

    // Proves VoteType keeps its u8 signed values.
    [Fact]
    public void VoteType_Values_AreFrozen()
    {
        AssertFrozen<VoteType>(typeof(byte), new()
        {
            ["Prevote"] = 1,
            ["Precommit"] = 2,
        });
    }

    // Proves TransactionRejection keeps its names (the API's stable problem+json codes) and numbers.
    [Fact]
    public void TransactionRejection_Values_AreFrozen()
    {
        AssertFrozen<TransactionRejection>(typeof(int), new()
        {
            ["None"] = 0,
            ["Malformed"] = 1,
            ["WrongChain"] = 2,
            ["UnknownType"] = 3,
            ["UnknownSender"] = 4,
            ["SenderRevoked"] = 5,
            ["InvalidSignature"] = 6,
            ["NonceReused"] = 7,
            ["Expired"] = 8,
            ["ExpiryTooFar"] = 9,
            ["InvalidPayload"] = 10,
            ["NotAuthorized"] = 11,
            ["AlreadyExists"] = 12,
            ["NotFound"] = 13,
            ["Duplicate"] = 14,
            ["MempoolFull"] = 15,
            ["SenderRotated"] = 16,
            ["OrganisationInactive"] = 17,
            ["InvalidPayloadSignature"] = 18,
            ["ConsentMissing"] = 19,
            ["TimeOutOfWindow"] = 20,
            ["InvalidCertificate"] = 21,
            ["InvalidEvidence"] = 22,
            ["EvidenceTooOld"] = 23,
            ["MisplacedTransaction"] = 24,
            ["RequestNotOpen"] = 25,
            ["GrantMismatch"] = 26,
        });
    }

    // Proves AccessRequestStatus keeps its u8 state values.
    [Fact]
    public void AccessRequestStatus_Values_AreFrozen()
    {
        AssertFrozen<AccessRequestStatus>(typeof(byte), new()
        {
            ["None"] = 0,
            ["Open"] = 1,
            ["Granted"] = 2,
            ["Declined"] = 3,
        });
    }

    // Proves WriteRequestStatus keeps its u8 state values.
    [Fact]
    public void WriteRequestStatus_Values_AreFrozen()
    {
        AssertFrozen<WriteRequestStatus>(typeof(byte), new()
        {
            ["None"] = 0,
            ["Open"] = 1,
            ["Approved"] = 2,
            ["Declined"] = 3,
        });
    }

    private static void AssertFrozen<TEnum>(Type underlying, Dictionary<string, long> expected)
        where TEnum : struct, Enum
    {
        Assert.Equal(underlying, Enum.GetUnderlyingType(typeof(TEnum)));
        var actual = Enum.GetValues<TEnum>().ToDictionary(v => v.ToString(), v => Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (name, value) in expected)
        {
            Assert.True(actual.TryGetValue(name, out var found), $"{typeof(TEnum).Name}.{name} was removed or renamed");
            Assert.True(found == value, $"{typeof(TEnum).Name}.{name} was renumbered from {value} to {found}");
        }

        var added = actual.Keys.Except(expected.Keys).ToList();
        Assert.True(added.Count == 0, $"{typeof(TEnum).Name} has new members {string.Join(", ", added)}: add them to this test with their numbers");
    }
}
