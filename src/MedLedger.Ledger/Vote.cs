using MedLedger.Core;

namespace MedLedger.Ledger;

/// <summary>The two voting steps of a round. Values are signed; frozen.</summary>
public enum VoteType : byte
{
    /// <summary>First-phase vote.</summary>
    Prevote = 1,

    /// <summary>Second-phase vote; 2/3+ precommits for a block commit it.</summary>
    Precommit = 2,
}

/// <summary>The bytes a validator signs when it votes (docs/encoding.md, "Vote").</summary>
public static class Vote
{
    private static readonly byte[] SigningDomain = "MedLedger/vote/v1\0"u8.ToArray();

    /// <summary>Domain tag, chain id, vote type, height, round and block hash (zero for a nil vote).</summary>
    public static byte[] EncodeSigningBytes(string chainId, VoteType type, ulong height, uint round, Hash blockHash)
    {
        ArgumentNullException.ThrowIfNull(chainId);
        var writer = new CanonicalWriter(SigningDomain.Length + 128);
        writer.WriteRaw(SigningDomain);
        writer.WriteString(chainId);
        writer.WriteByte((byte)type);
        writer.WriteUInt64(height);
        writer.WriteUInt32(round);
        writer.WriteHash(blockHash);
        return writer.ToArray();
    }
}
