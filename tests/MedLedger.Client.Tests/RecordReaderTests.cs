using System.Text;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Sharing.Records;

namespace MedLedger.Client.Tests;

public sealed class RecordReaderTests : IDisposable
{
    private readonly RecordTestWorld _world = new();

    public void Dispose() => _world.Dispose();

    [Fact]
    public void Open_ReturnsEveryTiersPlaintext_AndTheMerge()
    {
        // The reader unwraps the static envelopes the holding node made for it and gets each part back; a merge
        // function receives the parts in tier order.
        var parts = RecordTestWorld.ThreeTiers();
        var draft = _world.Prepare(parts);
        var response = _world.ServeRead(draft, _world.OtherReader);

        var read = RecordReader.Open(RecordTestWorld.Suite, _world.OtherReader, draft.RecordId, response, p => Encoding.UTF8.GetBytes(string.Join("|", p.Keys)));

        Assert.Equal(3, read.Parts.Count);
        foreach (var (tier, content) in parts)
        {
            Assert.Equal(content, read.Parts[tier]);
        }

        Assert.Equal("Identity|GeneralClinical|Sensitive", Encoding.UTF8.GetString(read.Merged!));
    }

    [Fact]
    public void Open_ThePatientsOwnEphemeralEnvelope_IsAccepted()
    {
        // A node may hand the patient the envelope written for them at upload (ephemeral form).
        var draft = _world.Prepare();
        var response = _world.ServeRead(draft, _world.Patient);
        response = response with { Tiers = [.. response.Tiers.Select((t, i) => t with { Envelope = draft.Tiers[i].PatientEnvelope })] };

        var read = RecordReader.Open(RecordTestWorld.Suite, _world.Patient, draft.RecordId, response);

        Assert.Equal(3, read.Parts.Count);
    }

    [Theory]
    [InlineData("ciphertext")]
    [InlineData("ciphertext-and-address")]
    [InlineData("commitment")]
    [InlineData("swapped-ciphertexts")]
    [InlineData("other-record")]
    [InlineData("unknown-tier")]
    [InlineData("duplicate-tier")]
    [InlineData("not-base64")]
    public void Open_TamperedContent_ThrowsRecordIntegrityException(string tamper)
    {
        // Each alteration of what the node returns is caught: a flipped ciphertext byte (address mismatch), a flipped
        // byte with a matching forged address (the tag fails), a forged commitment, ciphertexts swapped between tiers,
        // an answer about another record, a tier the record lacks or given twice, and malformed base64.
        var draft = _world.Prepare();
        var response = _world.ServeRead(draft, _world.OtherReader);
        var tiers = response.Tiers.ToList();
        switch (tamper)
        {
            case "ciphertext":
                tiers[1] = tiers[1] with { Ciphertext = Flip(tiers[1].Ciphertext, 40) };
                break;
            case "ciphertext-and-address":
                var altered = Flip(tiers[1].Ciphertext, 40);
                tiers[1] = tiers[1] with { Ciphertext = altered, ContentAddress = RecordTestWorld.Suite.Hash(Convert.FromBase64String(altered)).ToString() };
                break;
            case "commitment":
                tiers[0] = tiers[0] with { Commitment = new string('5', 64) };
                break;
            case "swapped-ciphertexts":
                (tiers[0], tiers[1]) = (tiers[0] with { Ciphertext = tiers[1].Ciphertext, ContentAddress = tiers[1].ContentAddress }, tiers[1] with { Ciphertext = tiers[0].Ciphertext, ContentAddress = tiers[0].ContentAddress });
                break;
            case "other-record":
                response = response with { Record = response.Record with { RecordId = new string('4', 64) } };
                break;
            case "unknown-tier":
                response = response with { Record = response.Record with { Tiers = ["identity", "generalClinical"] } };
                break;
            case "duplicate-tier":
                tiers.Add(tiers[0]);
                break;
            default:
                tiers[2] = tiers[2] with { Ciphertext = "not base64!" };
                break;
        }

        response = response with { Tiers = tiers };

        Assert.Throws<RecordIntegrityException>(() => RecordReader.Open(RecordTestWorld.Suite, _world.OtherReader, draft.RecordId, response));

        // The same with a secret cache that already holds the organisation's secret from an untampered read.
        var secrets = new UnwrapCache(RecordTestWorld.Suite);
        _ = RecordReader.Open(RecordTestWorld.Suite, _world.OtherReader, draft.RecordId, _world.ServeRead(draft, _world.OtherReader), secrets: secrets);
        Assert.Throws<RecordIntegrityException>(() => RecordReader.Open(RecordTestWorld.Suite, _world.OtherReader, draft.RecordId, response, secrets: secrets));
    }

    [Theory]
    [InlineData("flipped")]
    [InlineData("other-reader")]
    [InlineData("other-tier")]
    [InlineData("other-sender")]
    public void Open_TamperedEnvelope_ThrowsCryptoException(string tamper)
    {
        // A flipped envelope byte, an envelope made for another reader, one bound to another tier (swapped between
        // tiers) or one from a key other than the holding organisation's is refused by the key unwrap.
        var draft = _world.Prepare();
        var response = _world.ServeRead(draft, _world.OtherReader);
        var tiers = response.Tiers.ToList();
        switch (tamper)
        {
            case "flipped":
                tiers[0] = tiers[0] with { Envelope = Flip(tiers[0].Envelope, 90) };
                break;
            case "other-reader":
                tiers[0] = tiers[0] with { Envelope = _world.ServeRead(draft, _world.Patient).Tiers[0].Envelope };
                break;
            case "other-tier":
                (tiers[0], tiers[1]) = (tiers[0] with { Envelope = tiers[1].Envelope }, tiers[1] with { Envelope = tiers[0].Envelope });
                break;
            default:
                using (var impostor = RecordTestWorld.Suite.GenerateSigningKey())
                {
                    var readerId = RecordTestWorld.Suite.Hash(_world.OtherReader.PublicKey.Span);
                    var secret = KeyWrap.DeriveStaticSecret(RecordTestWorld.Suite, impostor, _world.OtherReader.PublicKey.Span);
                    var envelope = KeyWrap.WrapStatic(RecordTestWorld.Suite, secret, impostor.PublicKey.Span, _world.OtherReader.PublicKey.Span, new byte[32], RecordSealing.EnvelopeAssociatedData(draft.RecordId, SensitivityTier.Identity, readerId));
                    tiers[0] = tiers[0] with { Envelope = Convert.ToBase64String(envelope) };
                }

                break;
        }

        response = response with { Tiers = tiers };

        Assert.Throws<CryptoException>(() => RecordReader.Open(RecordTestWorld.Suite, _world.OtherReader, draft.RecordId, response));

        // The same with a secret cache that already holds the organisation's secret from an untampered read.
        var secrets = new UnwrapCache(RecordTestWorld.Suite);
        _ = RecordReader.Open(RecordTestWorld.Suite, _world.OtherReader, draft.RecordId, _world.ServeRead(draft, _world.OtherReader), secrets: secrets);
        Assert.Throws<CryptoException>(() => RecordReader.Open(RecordTestWorld.Suite, _world.OtherReader, draft.RecordId, response, secrets: secrets));
    }

    [Fact]
    public async Task ReadRecordAsync_SendsASignedGetWithThePurpose_AndOpensTheAnswer()
    {
        // GET /api/v1/records/{id}?purpose=insurance, signed by the reader; the answer is verified and decrypted.
        var draft = _world.Prepare();
        using var node = new FakeNode();
        node.OnGet($"/api/v1/records/{draft.RecordId}", _ => _world.ServeRead(draft, _world.OtherReader));
        using var client = MedLedgerUserClient.Create(new Uri("http://node.test"), RecordTestWorld.Suite, _world.OtherReader, innerHandler: node);

        var read = await client.ReadRecordAsync(draft.RecordId, AccessPurpose.Insurance);

        Assert.Equal(RecordTestWorld.ThreeTiers()[SensitivityTier.Sensitive], read.Parts[SensitivityTier.Sensitive]);

        // The client agreed one secret with the organisation's key and keeps it (ADR 0007 §11).
        Assert.Equal(1, client.EnvelopeSecrets.Count);
        var sent = Assert.Single(node.RequestsBeyondStatus);
        Assert.Equal($"/api/v1/records/{draft.RecordId}?purpose=insurance", sent.PathAndQuery);
        Assert.True(sent.IsSigned);
    }

    private static string Flip(string base64, int index)
    {
        var bytes = Convert.FromBase64String(base64);
        bytes[Math.Min(index, bytes.Length - 1)] ^= 0x20;
        return Convert.ToBase64String(bytes);
    }
}
