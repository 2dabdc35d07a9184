using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Ledger;

/// <summary>
/// The credit and election rules of a chain (SPEC F8, docs/credit.md), fixed in genesis. A genesis without them (null)
/// runs without credit: no credit state, no elections, the genesis validator set forever, and the two credit
/// transaction types are unknown. Every default below is the documented value; a genesis file may omit any field.
/// </summary>
/// <param name="EpochLength">Blocks per epoch; the election runs at the end of every block whose height is a multiple.</param>
/// <param name="MaxValidators">How many validators an election seats at most.</param>
/// <param name="InitialCredit">The score a node account starts with (in genesis or when registered).</param>
/// <param name="ProposerReward">Credit for the proposer of every committed block.</param>
/// <param name="VoteReward">Credit for each signer of the previous block's certificate, paid by the commit report.</param>
/// <param name="MissedVotePenalty">Credit taken from each validator of the previous block that the certificate lacks.</param>
/// <param name="DataReward">Credit per record anchored for an organisation, paid to each of its nodes.</param>
/// <param name="MaxDataRewardsPerBlock">At most this many records per organisation and block earn the data reward.</param>
/// <param name="DoubleVotePenaltyPercent">The share of its score a double-voting validator loses (0..100).</param>
/// <param name="JailEpochs">Epochs after the current one in which a double voter cannot be elected.</param>
/// <param name="EvidenceMaxAgeBlocks">Evidence about votes older than this many blocks is refused.</param>
public sealed record CreditParameters(
    ulong EpochLength = 100,
    int MaxValidators = 16,
    ulong InitialCredit = 1_000,
    ulong ProposerReward = 10,
    ulong VoteReward = 2,
    ulong MissedVotePenalty = 1,
    ulong DataReward = 1,
    uint MaxDataRewardsPerBlock = 5,
    uint DoubleVotePenaltyPercent = 50,
    ulong JailEpochs = 1,
    ulong EvidenceMaxAgeBlocks = 100)
{
    /// <summary>The most node accounts a credit chain tracks (the election reads them all at each boundary).</summary>
    public const int MaxNodes = 1_024;

    /// <summary>The longest epoch.</summary>
    public const ulong MaxEpochLength = 1_000_000;

    /// <summary>The largest single reward or penalty, so that sums stay far from overflow.</summary>
    public const ulong MaxAmount = 1_000_000;

    /// <summary>How many validator sets the evidence window may span (bounds the set history in state).</summary>
    public const ulong MaxEpochsInEvidenceWindow = 1_024;

    /// <summary>The documented defaults.</summary>
    public static CreditParameters Default { get; } = new();

    /// <summary>Checks every field; throws <see cref="DecodingException"/> with the reason.</summary>
    public void Validate()
    {
        Check(EpochLength is >= 1 and <= MaxEpochLength, $"the epoch length is 1..{MaxEpochLength} blocks");
        Check(MaxValidators is >= 1 and <= Limits.MaxValidators, $"an election seats 1..{Limits.MaxValidators} validators");
        Check(InitialCredit is >= 1 and <= MaxAmount, $"the initial credit is 1..{MaxAmount}");
        Check(ProposerReward <= MaxAmount && VoteReward <= MaxAmount && MissedVotePenalty <= MaxAmount && DataReward <= MaxAmount, $"rewards and penalties are at most {MaxAmount}");
        Check(MaxDataRewardsPerBlock <= 10_000, "at most 10000 data rewards per organisation and block");
        Check(DoubleVotePenaltyPercent <= 100, "the double-vote penalty is 0..100 percent");
        Check(JailEpochs <= 1_000, "jail lasts at most 1000 epochs");
        Check(EvidenceMaxAgeBlocks is >= 1 and <= MaxEpochLength * 10, "the evidence window is 1..10000000 blocks");
        Check(EvidenceMaxAgeBlocks / EpochLength <= MaxEpochsInEvidenceWindow, $"the evidence window spans at most {MaxEpochsInEvidenceWindow} epochs");
    }

    /// <summary>Appends the canonical encoding (part of the genesis hash input, version 3).</summary>
    public void WriteTo(CanonicalWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteUInt64(EpochLength);
        writer.WriteUInt32((uint)MaxValidators);
        writer.WriteUInt64(InitialCredit);
        writer.WriteUInt64(ProposerReward);
        writer.WriteUInt64(VoteReward);
        writer.WriteUInt64(MissedVotePenalty);
        writer.WriteUInt64(DataReward);
        writer.WriteUInt32(MaxDataRewardsPerBlock);
        writer.WriteUInt32(DoubleVotePenaltyPercent);
        writer.WriteUInt64(JailEpochs);
        writer.WriteUInt64(EvidenceMaxAgeBlocks);
    }

    /// <summary>The epoch a block height belongs to: epoch e holds heights e·L+1 .. (e+1)·L; height 0 (genesis) is in epoch 0.</summary>
    public ulong EpochOf(ulong height) => height == 0 ? 0 : (height - 1) / EpochLength;

    /// <summary>True when the election runs at the end of the block at <paramref name="height"/>.</summary>
    public bool IsElectionHeight(ulong height) => height != 0 && height % EpochLength == 0;

    private static void Check(bool condition, string reason)
    {
        if (!condition)
        {
            throw new DecodingException($"The credit parameters are invalid: {reason}.");
        }
    }
}

/// <summary>
/// A node's credit as held in state (key <c>credit/ ‖ key id</c>): its score, its organisation (copied at
/// registration), the last epoch it is jailed for, and counters of what earned or cost it credit.
/// </summary>
public sealed record CreditRecord(
    ulong Score,
    string Organisation,
    ulong JailedUntilEpoch,
    ulong ProposedBlocks,
    ulong SignedCommits,
    ulong MissedCommits,
    ulong DataRecords,
    uint Offences)
{
    private const byte Version = 1;

    /// <summary>True when the node may not be elected for <paramref name="epoch"/>.</summary>
    public bool IsJailedFor(ulong epoch) => Offences != 0 && JailedUntilEpoch >= epoch;

    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(96);
        writer.WriteByte(Version);
        writer.WriteUInt64(Score);
        writer.WriteString(Organisation);
        writer.WriteUInt64(JailedUntilEpoch);
        writer.WriteUInt64(ProposedBlocks);
        writer.WriteUInt64(SignedCommits);
        writer.WriteUInt64(MissedCommits);
        writer.WriteUInt64(DataRecords);
        writer.WriteUInt32(Offences);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static CreditRecord Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        if (reader.ReadByte() != Version)
        {
            throw new DecodingException("Unknown credit record version.");
        }

        var record = new CreditRecord(reader.ReadUInt64(), reader.ReadString(Limits.MaxOrganisationIdBytes), reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt32());
        reader.EnsureEnd();
        return record;
    }
}

/// <summary>
/// The epoch the next block belongs to (state key <c>chain/epoch</c>): its number, its first height, and the height at
/// whose end the next election runs.
/// </summary>
public sealed record EpochState(ulong Epoch, ulong StartHeight, ulong NextElectionHeight)
{
    private const byte Version = 1;

    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(32);
        writer.WriteByte(Version);
        writer.WriteUInt64(Epoch);
        writer.WriteUInt64(StartHeight);
        writer.WriteUInt64(NextElectionHeight);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static EpochState Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        if (reader.ReadByte() != Version)
        {
            throw new DecodingException("Unknown epoch state version.");
        }

        var state = new EpochState(reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64());
        reader.EnsureEnd();
        return state;
    }
}

/// <summary>What a node does in the consortium (SPEC F8). Not persisted: derived from state by <c>NodeRoleOf</c>.</summary>
public enum NodeRole
{
    /// <summary>Not a node account.</summary>
    None = 0,

    /// <summary>In the validator set of the next block: proposes and votes.</summary>
    Validator = 1,

    /// <summary>A node account not in the set (not elected, jailed, or its organisation removed): follows and verifies every block.</summary>
    Verifier = 2,

    /// <summary>A node of a regulator: follows and verifies, and is never elected.</summary>
    Auditor = 3,
}

/// <summary>
/// Payload of <see cref="TransactionType.DoubleVoteEvidence"/>: two votes of <paramref name="Validator"/> for the same
/// (height, round, type) and different blocks, with both signatures over <see cref="Vote.EncodeSigningBytes"/>.
/// </summary>
public sealed record DoubleVoteEvidencePayload(Hash Validator, VoteType Type, ulong Height, uint Round, Hash FirstBlockHash, byte[] FirstSignature, Hash SecondBlockHash, byte[] SecondSignature)
{
    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(256);
        writer.WriteHash(Validator);
        writer.WriteByte((byte)Type);
        writer.WriteUInt64(Height);
        writer.WriteUInt32(Round);
        writer.WriteHash(FirstBlockHash);
        writer.WriteBytes(FirstSignature);
        writer.WriteHash(SecondBlockHash);
        writer.WriteBytes(SecondSignature);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static DoubleVoteEvidencePayload Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var payload = new DoubleVoteEvidencePayload(
            reader.ReadHash(),
            (VoteType)reader.ReadByte(),
            reader.ReadUInt64(),
            reader.ReadUInt32(),
            reader.ReadHash(),
            reader.ReadBytes(Limits.MaxSignatureBytes),
            reader.ReadHash(),
            reader.ReadBytes(Limits.MaxSignatureBytes));
        reader.EnsureEnd();
        return payload;
    }

    /// <summary>The id under which the offence is recorded: one penalty per validator, height, round and vote type.</summary>
    public Hash ComputeOffenceId(ICryptoSuite suite)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var writer = new CanonicalWriter(64);
        writer.WriteRaw("MedLedger/offence/v1\0"u8);
        writer.WriteHash(Validator);
        writer.WriteByte((byte)Type);
        writer.WriteUInt64(Height);
        writer.WriteUInt32(Round);
        return suite.Hash(writer.WrittenSpan);
    }
}

/// <summary>The list of heights from which the validator sets in the history apply (state key <c>chain/vsets</c>).</summary>
public static class HeightList
{
    /// <summary>Canonical encoding of a strictly increasing list.</summary>
    public static byte[] Encode(IReadOnlyList<ulong> heights)
    {
        ArgumentNullException.ThrowIfNull(heights);
        var writer = new CanonicalWriter(4 + (8 * heights.Count));
        writer.WriteCount(heights.Count);
        foreach (var height in heights)
        {
            writer.WriteUInt64(height);
        }

        return writer.ToArray();
    }

    /// <summary>Strict decoding: strictly increasing, at most <paramref name="maxCount"/> entries.</summary>
    public static List<ulong> Decode(ReadOnlySpan<byte> encoded, int maxCount)
    {
        var reader = new CanonicalReader(encoded);
        var count = reader.ReadCount(maxCount);
        var heights = new List<ulong>(count);
        for (var i = 0; i < count; i++)
        {
            var height = reader.ReadUInt64();
            if (i > 0 && height <= heights[^1])
            {
                throw new DecodingException("The height list is not strictly increasing.");
            }

            heights.Add(height);
        }

        reader.EnsureEnd();
        return heights;
    }
}

/// <summary>
/// Factories for the two credit transactions, for the node's driver (which holds the engine's certificates and
/// evidence; Ledger cannot reference Consensus).
/// </summary>
public static class CreditTransactions
{
    /// <summary>
    /// The commit report the proposer of block <paramref name="blockHeight"/> puts first in it: the certificate of block
    /// <paramref name="blockHeight"/> − 1 as this node holds it. It is not signed and has no sender (zero): it proves
    /// itself by the validators' signatures it carries. Nonce and expiry height are the block height.
    /// <see cref="LedgerStateMachine.PrepareBlock"/> builds it when given the certificate.
    /// </summary>
    public static Transaction CommitReport(string chainId, ulong blockHeight, CommitCertificate previousCertificate)
    {
        ArgumentNullException.ThrowIfNull(chainId);
        ArgumentNullException.ThrowIfNull(previousCertificate);
        return Transaction.FromParts(chainId, TransactionType.CommitReport, Hash.Zero, blockHeight, blockHeight, previousCertificate.Encode(), []);
    }

    /// <summary>
    /// An evidence transaction from the raw fields of two conflicting votes (the engine's <c>DoubleVoteEvidence</c>),
    /// signed by a node account. The votes are put in block-hash order so both orders give the same payload.
    /// </summary>
    public static Transaction DoubleVoteEvidence(ICryptoSuite suite, ISigningKey nodeKey, string chainId, ulong nonce, ulong expiryHeight, Hash validator, VoteType type, ulong height, uint round, Hash firstBlockHash, byte[] firstSignature, Hash secondBlockHash, byte[] secondSignature)
    {
        ArgumentNullException.ThrowIfNull(firstSignature);
        ArgumentNullException.ThrowIfNull(secondSignature);
        var payload = firstBlockHash <= secondBlockHash
            ? new DoubleVoteEvidencePayload(validator, type, height, round, firstBlockHash, firstSignature, secondBlockHash, secondSignature)
            : new DoubleVoteEvidencePayload(validator, type, height, round, secondBlockHash, secondSignature, firstBlockHash, firstSignature);
        return Transaction.Create(suite, nodeKey, chainId, TransactionType.DoubleVoteEvidence, nonce, expiryHeight, payload.Encode());
    }
}
