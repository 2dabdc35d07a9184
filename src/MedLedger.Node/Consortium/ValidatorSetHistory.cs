using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Node.Consortium;

/// <summary>
/// The validator sets this node has seen take effect, each with the first height it signs (ADR 0008). At start the node
/// checks the head block's certificate against the set that signed it — the one whose hash the head header names — which
/// after an election is no longer the set of the restored state nor the genesis set. Rewritten atomically (it changes
/// only at epoch boundaries); a damaged file only costs that check its candidates, never safety.
/// </summary>
public sealed class ValidatorSetHistory
{
    private const byte Version = 1;
    private const int MaxEntries = 64;
    private readonly string _path;
    private readonly ICryptoSuite _suite;

    public ValidatorSetHistory(string path, ICryptoSuite suite)
    {
        _path = path;
        _suite = suite;
    }

    /// <summary>Records that <paramref name="validators"/> sign from <paramref name="fromHeight"/> on (the newest entries are kept).</summary>
    public void Record(ulong fromHeight, ValidatorSet validators)
    {
        ArgumentNullException.ThrowIfNull(validators);
        var entries = Load().Where(e => e.FromHeight < fromHeight).TakeLast(MaxEntries - 1).ToList();
        entries.Add((fromHeight, validators));
        var writer = new CanonicalWriter(4096);
        writer.WriteByte(Version);
        writer.WriteCount(entries.Count);
        foreach (var (height, set) in entries)
        {
            writer.WriteUInt64(height);
            writer.WriteBytes(set.Encode());
        }

        writer.WriteHash(_suite.Hash(writer.WrittenSpan));
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        SecureFile.WriteAllBytes(_path, writer.WrittenSpan);
    }

    /// <summary>The recorded sets, oldest first; empty when there is no file or it is damaged.</summary>
    public IReadOnlyList<(ulong FromHeight, ValidatorSet Validators)> Load()
    {
        if (!File.Exists(_path))
        {
            return [];
        }

        var bytes = File.ReadAllBytes(_path);
        try
        {
            if (bytes.Length < Hash.Size + 1 || new Hash(bytes.AsSpan(bytes.Length - Hash.Size)) != _suite.Hash(bytes.AsSpan(0, bytes.Length - Hash.Size)))
            {
                return [];
            }

            var reader = new CanonicalReader(bytes.AsSpan(0, bytes.Length - Hash.Size));
            if (reader.ReadByte() != Version)
            {
                return [];
            }

            var count = reader.ReadCount(MaxEntries);
            var entries = new List<(ulong, ValidatorSet)>(count);
            for (var i = 0; i < count; i++)
            {
                entries.Add((reader.ReadUInt64(), ValidatorSet.Decode(reader.ReadBytesSpan(1024 * 1024))));
            }

            reader.EnsureEnd();
            return entries;
        }
        catch (DecodingException)
        {
            return [];
        }
    }
}
