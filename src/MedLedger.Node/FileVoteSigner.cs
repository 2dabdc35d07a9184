using MedLedger.Consensus;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Node;

/// <summary>
/// The double-sign guard (ARCHITECTURE §4): before it signs a vote it durably records the (height, round, step,
/// block) it is about to sign, and it refuses any vote that would go back to or below a recorded position with a
/// different block. Re-signing the very same vote (after a restart) is allowed; it cannot equivocate.
/// The record is written to a temporary file, flushed to disk and renamed over the old one.
/// </summary>
public sealed class FileVoteSigner : IVoteSigner
{
    private const byte Version = 1;
    private readonly string _path;
    private readonly ICryptoSuite _suite;
    private readonly ISigningKey _key;
    private readonly string _chainId;
    private readonly Lock _lock = new();
    private SignedPosition? _last;

    public FileVoteSigner(string path, ICryptoSuite suite, ISigningKey key, string chainId)
    {
        _path = path;
        _suite = suite;
        _key = key;
        _chainId = chainId;
        ValidatorId = suite.Hash(key.PublicKey.Span);
        _last = Load(path);
    }

    public Hash ValidatorId { get; }

    /// <summary>The last position signed, if any.</summary>
    public SignedPosition? LastSigned => _last;

    public byte[]? Sign(VoteType type, ulong height, uint round, Hash blockHash)
    {
        var step = type == VoteType.Prevote ? ConsensusStep.Prevote : ConsensusStep.Precommit;
        var position = new SignedPosition(height, round, step, blockHash);
        lock (_lock)
        {
            if (_last is { } last)
            {
                var order = last.CompareTo(position);
                if (order > 0 || (order == 0 && last.BlockHash != blockHash))
                {
                    return null;
                }
            }

            Save(position);
            _last = position;
            return _key.Sign(Vote.EncodeSigningBytes(_chainId, type, height, round, blockHash));
        }
    }

    private void Save(SignedPosition position)
    {
        var writer = new CanonicalWriter(64);
        writer.WriteByte(Version);
        writer.WriteUInt64(position.Height);
        writer.WriteUInt32(position.Round);
        writer.WriteByte((byte)position.Step);
        writer.WriteHash(position.BlockHash);
        var checksum = _suite.Hash(writer.WrittenSpan);
        writer.WriteHash(checksum);
        SecureFile.WriteAllBytes(_path, writer.WrittenSpan);
    }

    private SignedPosition? Load(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var bytes = File.ReadAllBytes(path);
        try
        {
            var reader = new CanonicalReader(bytes);
            if (reader.ReadByte() != Version)
            {
                throw new DecodingException("unknown version");
            }

            var position = new SignedPosition(reader.ReadUInt64(), reader.ReadUInt32(), (ConsensusStep)reader.ReadByte(), reader.ReadHash());
            var checksum = reader.ReadHash();
            reader.EnsureEnd();
            if (checksum != _suite.Hash(bytes.AsSpan(0, bytes.Length - Hash.Size)))
            {
                throw new DecodingException("checksum mismatch");
            }

            return position;
        }
        catch (DecodingException exception)
        {
            // Refusing to start is the only safe answer: signing without knowing what was signed could equivocate.
            throw new NodeSetupException($"The double-sign guard '{path}' is damaged ({exception.Message}); restore it or re-initialise the validator.", exception);
        }
    }
}

/// <summary>A point in consensus a validator has signed at, ordered by height, round, step.</summary>
public readonly record struct SignedPosition(ulong Height, uint Round, ConsensusStep Step, Hash BlockHash) : IComparable<SignedPosition>
{
    public int CompareTo(SignedPosition other)
    {
        var order = Height.CompareTo(other.Height);
        if (order == 0)
        {
            order = Round.CompareTo(other.Round);
        }

        return order != 0 ? order : ((byte)Step).CompareTo((byte)other.Step);
    }

    public static bool operator <(SignedPosition left, SignedPosition right) => left.CompareTo(right) < 0;

    public static bool operator >(SignedPosition left, SignedPosition right) => left.CompareTo(right) > 0;

    public static bool operator <=(SignedPosition left, SignedPosition right) => left.CompareTo(right) <= 0;

    public static bool operator >=(SignedPosition left, SignedPosition right) => left.CompareTo(right) >= 0;
}
