using MedLedger.Consensus;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Node;

/// <summary>
/// The double-sign guard (ARCHITECTURE §4, ADR 0008): before it signs a vote or a proposal it durably records the
/// (height, round, step, block) it is about to sign, and it refuses anything that would go back to or below a recorded
/// position with a different block. Re-signing the very same message (after a restart) is allowed: it cannot
/// equivocate. Besides the last position it keeps the last message allowed for each step (propose, prevote,
/// precommit), which the BFT engine reads through <see cref="LastSigned"/> to resume its round after a restart and
/// which it may sign again even after later positions. The record is written to a temporary file, flushed to disk
/// and renamed over the old one before any signature is returned.
/// </summary>
/// <remarks>
/// File format version 2: version byte, the last position (height u64, round u32, step u8, block hash), a count byte
/// and that many per-step records (step u8, height u64, round u32, block hash), then the hash of everything before it.
/// Version 1 (the single-validator node's format: version, position, checksum) is still read; its position becomes the
/// record of its step, and the next signature rewrites the file as version 2.
/// </remarks>
public sealed class FileVoteSigner : IConsensusSigner
{
    private const byte VersionSinglePosition = 1;
    private const byte Version = 2;
    private static readonly ConsensusStep[] Steps = [ConsensusStep.Propose, ConsensusStep.Prevote, ConsensusStep.Precommit];
    private readonly string _path;
    private readonly ICryptoSuite _suite;
    private readonly ISigningKey _key;
    private readonly string _chainId;
    private readonly Lock _lock = new();
    private readonly Dictionary<ConsensusStep, GuardRecord> _lastByStep = [];
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
    public SignedPosition? LastPosition
    {
        get
        {
            lock (_lock)
            {
                return _last;
            }
        }
    }

    public byte[]? Sign(VoteType type, ulong height, uint round, Hash blockHash)
    {
        var step = type == VoteType.Prevote ? ConsensusStep.Prevote : ConsensusStep.Precommit;
        return Guard(new SignedPosition(height, round, step, blockHash))
            ? _key.Sign(Vote.EncodeSigningBytes(_chainId, type, height, round, blockHash))
            : null;
    }

    public byte[]? SignProposal(ulong height, uint round, Hash blockHash, int proofOfLockRound) =>
        Guard(new SignedPosition(height, round, ConsensusStep.Propose, blockHash))
            ? _key.Sign(Proposal.EncodeSigningBytes(_chainId, height, round, blockHash, proofOfLockRound))
            : null;

    public GuardRecord? LastSigned(ConsensusStep kind)
    {
        lock (_lock)
        {
            return _lastByStep.GetValueOrDefault(kind);
        }
    }

    private bool Guard(SignedPosition position)
    {
        lock (_lock)
        {
            var record = new GuardRecord(position.Height, position.Round, position.BlockHash);
            if (_lastByStep.GetValueOrDefault(position.Step) == record)
            {
                // The identical message again: it cannot conflict with anything signed, and the record already says so.
                return true;
            }

            if (_last is { } last)
            {
                var order = last.CompareTo(position);
                if (order > 0 || (order == 0 && last.BlockHash != position.BlockHash))
                {
                    return false;
                }
            }

            var byStep = new Dictionary<ConsensusStep, GuardRecord>(_lastByStep) { [position.Step] = record };
            Save(position, byStep);
            _last = position;
            _lastByStep[position.Step] = record;
            return true;
        }
    }

    private void Save(SignedPosition position, Dictionary<ConsensusStep, GuardRecord> byStep)
    {
        var writer = new CanonicalWriter(256);
        writer.WriteByte(Version);
        writer.WriteUInt64(position.Height);
        writer.WriteUInt32(position.Round);
        writer.WriteByte((byte)position.Step);
        writer.WriteHash(position.BlockHash);
        writer.WriteByte((byte)byStep.Count);
        foreach (var step in Steps)
        {
            if (byStep.TryGetValue(step, out var record))
            {
                writer.WriteByte((byte)step);
                writer.WriteUInt64(record.Height);
                writer.WriteUInt32(record.Round);
                writer.WriteHash(record.BlockHash);
            }
        }

        writer.WriteHash(_suite.Hash(writer.WrittenSpan));
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
            if (bytes.Length < Hash.Size + 1 || new Hash(bytes.AsSpan(bytes.Length - Hash.Size)) != _suite.Hash(bytes.AsSpan(0, bytes.Length - Hash.Size)))
            {
                throw new DecodingException("checksum mismatch");
            }

            var reader = new CanonicalReader(bytes.AsSpan(0, bytes.Length - Hash.Size));
            var version = reader.ReadByte();
            if (version is not (VersionSinglePosition or Version))
            {
                throw new DecodingException("unknown version");
            }

            var position = new SignedPosition(reader.ReadUInt64(), reader.ReadUInt32(), ReadStep(ref reader), reader.ReadHash());
            if (version == VersionSinglePosition)
            {
                _lastByStep[position.Step] = new GuardRecord(position.Height, position.Round, position.BlockHash);
            }
            else
            {
                var count = reader.ReadByte();
                if (count > Steps.Length)
                {
                    throw new DecodingException("too many step records");
                }

                for (var i = 0; i < count; i++)
                {
                    var step = ReadStep(ref reader);
                    var record = new GuardRecord(reader.ReadUInt64(), reader.ReadUInt32(), reader.ReadHash());
                    if (!_lastByStep.TryAdd(step, record) || new SignedPosition(record.Height, record.Round, step, record.BlockHash) > position)
                    {
                        throw new DecodingException("inconsistent step records");
                    }
                }

                if (!_lastByStep.TryGetValue(position.Step, out var latest) || latest != new GuardRecord(position.Height, position.Round, position.BlockHash))
                {
                    throw new DecodingException("the last position is not its step's record");
                }
            }

            reader.EnsureEnd();
            return position;
        }
        catch (DecodingException exception)
        {
            // Refusing to start is the only safe answer: signing without knowing what was signed could equivocate.
            throw new NodeSetupException($"The double-sign guard '{path}' is damaged ({exception.Message}); restore it or re-initialise the validator.", exception);
        }
    }

    private static ConsensusStep ReadStep(ref CanonicalReader reader)
    {
        var step = (ConsensusStep)reader.ReadByte();
        return Enum.IsDefined(step) ? step : throw new DecodingException("unknown step");
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
