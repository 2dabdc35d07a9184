using MedLedger.Core;

namespace MedLedger.Consensus;

/// <summary>The bytes a proposer signs (docs/consensus.md, "Proposal signing bytes").</summary>
public static class Proposal
{
    private static readonly byte[] SigningDomain = "MedLedger/proposal/v1\0"u8.ToArray();

    /// <summary>
    /// Domain tag, chain id, height, round, block hash, then the proof-of-lock round as a presence flag followed, when
    /// present, by the round. The tag differs from the vote tag, so a proposal signature can never pass for a vote.
    /// </summary>
    public static byte[] EncodeSigningBytes(string chainId, ulong height, uint round, Hash blockHash, int proofOfLockRound)
    {
        ArgumentNullException.ThrowIfNull(chainId);
        ArgumentOutOfRangeException.ThrowIfLessThan(proofOfLockRound, -1);
        var writer = new CanonicalWriter(SigningDomain.Length + 128);
        writer.WriteRaw(SigningDomain);
        writer.WriteString(chainId);
        writer.WriteUInt64(height);
        writer.WriteUInt32(round);
        writer.WriteHash(blockHash);
        writer.WriteBoolean(proofOfLockRound >= 0);
        if (proofOfLockRound >= 0)
        {
            writer.WriteUInt32((uint)proofOfLockRound);
        }

        return writer.ToArray();
    }
}
