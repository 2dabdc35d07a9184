using System.Security.Cryptography;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Sharing.Records;

namespace MedLedger.Client;

/// <summary>
/// The reader's end of the read path (SPEC F19, F21): open what <c>GET /api/v1/records/{id}</c> returned. For each
/// tier the data key is unwrapped with the reader's key, bound to the record, tier and reader key id; the ciphertext
/// must hash to its content address and the plaintext must open its salted commitment
/// (<see cref="RecordSealing.OpenTier"/>). The data keys are wiped after use.
/// </summary>
public static class RecordReader
{
    /// <summary>
    /// Verifies and decrypts a record. Throws <see cref="RecordIntegrityException"/> when the answer is for another
    /// record, names a tier twice or one the record does not have, is not base64, or a ciphertext does not match its
    /// address or commitment; <see cref="CryptoException"/> when an envelope is altered or not meant for this key.
    /// </summary>
    /// <param name="suite">The chain's suite.</param>
    /// <param name="reader">The reader's key (the envelopes are bound to its key id).</param>
    /// <param name="recordId">The record asked for.</param>
    /// <param name="response">What the node answered.</param>
    /// <param name="merge">Recombines the tier parts into one document, or null.</param>
    /// <param name="secrets">
    /// Opens the envelopes with the secret agreed with each holding organisation's key kept from earlier reads, so a read
    /// costs no key agreement after the first from that holder; null agrees it every time. Same checks either way.
    /// </param>
    public static RecordPlaintext Open(ICryptoSuite suite, ISigningKey reader, Hash recordId, RecordContentResponse response, Func<IReadOnlyDictionary<SensitivityTier, byte[]>, byte[]>? merge = null, UnwrapCache? secrets = null)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(response);
        if (response.Record is null || response.Tiers is null || !Hash.TryParse(response.Record.RecordId, out var answered) || answered != recordId)
        {
            throw new RecordIntegrityException($"The node answered for another record than {recordId}.");
        }

        var recordTiers = (response.Record.Tiers ?? []).Select(name => ApiNames.TryParse<SensitivityTier>(name, out var t) ? t : SensitivityTier.None).ToHashSet();
        var organisationKey = Decode(response.OrganisationKey, hex: true, "organisation key");
        var readerKeyId = suite.Hash(reader.PublicKey.Span);
        var parts = new SortedDictionary<SensitivityTier, byte[]>();
        foreach (var tierContent in response.Tiers)
        {
            if (!ApiNames.TryParse<SensitivityTier>(tierContent.Tier, out var tier) || !recordTiers.Contains(tier) || parts.ContainsKey(tier))
            {
                throw new RecordIntegrityException($"The node returned tier '{tierContent.Tier}', which the record does not have or which came twice.");
            }

            if (!Hash.TryParse(tierContent.ContentAddress, out var contentAddress) || !Hash.TryParse(tierContent.Commitment, out var commitment))
            {
                throw new RecordIntegrityException($"Tier {tier} has a malformed content address or commitment.");
            }

            var ciphertext = Decode(tierContent.Ciphertext, hex: false, $"ciphertext of tier {tier}");
            var envelope = Decode(tierContent.Envelope, hex: false, $"envelope of tier {tier}");

            // The envelope must come from the organisation the node says holds the record.
            if (!KeyWrap.ReadSenderKey(suite, envelope).AsSpan().SequenceEqual(organisationKey) && !IsEphemeral(envelope))
            {
                throw new CryptoException($"The envelope of tier {tier} is not from the holding organisation's key.");
            }

            var associated = RecordSealing.EnvelopeAssociatedData(recordId, tier, readerKeyId);
            var dataKey = secrets is null ? KeyWrap.Unwrap(suite, reader, envelope, associated) : secrets.Unwrap(reader, envelope, associated);
            try
            {
                parts[tier] = RecordSealing.OpenTier(suite, recordId, tier, ciphertext, dataKey, contentAddress, commitment);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(dataKey);
            }
        }

        var merged = merge is null ? null : merge(parts);
        return new RecordPlaintext(response.Record, parts, merged, response.GrantId, response.Purpose);
    }

    // Form 1 envelopes (ephemeral, as written for the patient) name a one-off sender key; only static ones (form 2)
    // name the organisation's.
    private static bool IsEphemeral(byte[] envelope) => envelope.Length > 0 && envelope[0] == 1;

    private static byte[] Decode(string? text, bool hex, string what)
    {
        try
        {
            return hex ? Convert.FromHexString(text ?? string.Empty) : Convert.FromBase64String(text ?? string.Empty);
        }
        catch (FormatException exception)
        {
            throw new RecordIntegrityException($"The {what} is not {(hex ? "hex" : "base64")}.", exception);
        }
    }
}
