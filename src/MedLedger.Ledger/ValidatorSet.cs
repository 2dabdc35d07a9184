using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Ledger;

/// <summary>A validator: its key id (hash of its public key), public key, voting power and a display name.</summary>
public sealed record Validator(Hash KeyId, byte[] PublicKey, ulong Power, string Name);

/// <summary>
/// The validators that sign blocks at a height, sorted by key id. A commit needs precommits from validators
/// holding more than two thirds of the total power.
/// </summary>
public sealed class ValidatorSet
{
    private const byte Version = 1;
    private readonly Dictionary<Hash, Validator> _byKeyId;

    /// <summary>Creates a set; validators are sorted by key id and must be distinct with positive power.</summary>
    public ValidatorSet(IEnumerable<Validator> validators)
    {
        ArgumentNullException.ThrowIfNull(validators);
        Validators = [.. validators.OrderBy(v => v.KeyId)];
        if (Validators.Count == 0 || Validators.Count > Limits.MaxValidators)
        {
            throw new ArgumentException($"A validator set has 1..{Limits.MaxValidators} validators.", nameof(validators));
        }

        _byKeyId = [];
        foreach (var validator in Validators)
        {
            if (validator.Power == 0 || !_byKeyId.TryAdd(validator.KeyId, validator))
            {
                throw new ArgumentException("Validators are distinct and have positive power.", nameof(validators));
            }

            if (validator.Power > ulong.MaxValue - TotalPower)
            {
                throw new ArgumentException("The validators' total power exceeds 2^64 - 1.", nameof(validators));
            }

            TotalPower += validator.Power;
        }
    }

    /// <summary>The validators in key-id order.</summary>
    public IReadOnlyList<Validator> Validators { get; }

    /// <summary>Sum of all voting power.</summary>
    public ulong TotalPower { get; }

    /// <summary>The smallest power that is more than two thirds of the total.</summary>
    public ulong QuorumPower => (ulong)((UInt128)TotalPower * 2 / 3) + 1;

    /// <summary>The validator with this key id, or null.</summary>
    public Validator? Find(Hash keyId) => _byKeyId.GetValueOrDefault(keyId);

    /// <summary>Canonical encoding (frozen by golden tests).</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(64 + (Validators.Count * 128));
        writer.WriteByte(Version);
        writer.WriteCount(Validators.Count);
        foreach (var validator in Validators)
        {
            writer.WriteHash(validator.KeyId);
            writer.WriteBytes(validator.PublicKey);
            writer.WriteUInt64(validator.Power);
            writer.WriteString(validator.Name);
        }

        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static ValidatorSet Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        if (reader.ReadByte() != Version)
        {
            throw new DecodingException("Unknown validator set version.");
        }

        var count = reader.ReadCount(Limits.MaxValidators);
        var validators = new List<Validator>(count);
        for (var i = 0; i < count; i++)
        {
            validators.Add(new Validator(reader.ReadHash(), reader.ReadBytes(Limits.MaxPublicKeyBytes), reader.ReadUInt64(), reader.ReadString(Limits.MaxNameBytes)));
        }

        reader.EnsureEnd();
        try
        {
            var set = new ValidatorSet(validators);
            if (!set.Validators.Select(v => v.KeyId).SequenceEqual(validators.Select(v => v.KeyId)))
            {
                throw new DecodingException("Validators are not in key-id order.");
            }

            return set;
        }
        catch (ArgumentException exception)
        {
            throw new DecodingException(exception.Message, exception);
        }
    }

    /// <summary>The hash that block headers carry.</summary>
    public Hash ComputeHash(ICryptoSuite suite)
    {
        ArgumentNullException.ThrowIfNull(suite);
        return suite.Hash(Encode());
    }

    /// <summary>
    /// Checks a commit certificate for the block with hash <paramref name="blockHash"/> at <paramref name="height"/>:
    /// signers are distinct members of this set, each signature is a valid precommit for exactly that block, and
    /// together they hold more than two thirds of the power. Returns null when valid, otherwise the reason.
    /// </summary>
    public string? VerifyCommit(ICryptoSuite suite, string chainId, ulong height, Hash blockHash, CommitCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(certificate);
        if (certificate.Height != height || certificate.BlockHash != blockHash)
        {
            return "the certificate is for another block";
        }

        var message = Vote.EncodeSigningBytes(chainId, VoteType.Precommit, height, certificate.Round, blockHash);
        var seen = new HashSet<Hash>();
        ulong power = 0;
        foreach (var signature in certificate.Signatures)
        {
            var validator = Find(signature.Validator);
            if (validator is null)
            {
                return $"signer {signature.Validator.ToShortString()} is not a validator";
            }

            if (!seen.Add(signature.Validator))
            {
                return $"validator {signature.Validator.ToShortString()} signed twice";
            }

            if (!suite.Verify(validator.PublicKey, message, signature.Signature))
            {
                return $"the signature of validator {signature.Validator.ToShortString()} is invalid";
            }

            power += validator.Power;
        }

        return power >= QuorumPower ? null : $"signers hold {power} of {TotalPower} power; more than two thirds is needed";
    }
}
