using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using Microsoft.AspNetCore.Builder;

namespace MedLedger.Node.Tests;

/// <summary>
/// A real node in this process: a fresh data folder made by <see cref="NodeDataDirectory.Initialize"/> in a temp
/// folder, the composition root <see cref="NodeHost.Build"/> with Kestrel on a free loopback port and SQLite on
/// disk, and a real <see cref="HttpClient"/> and <see cref="MedLedgerClient"/> over the socket. The node key is the
/// only validator and an administrator; <see cref="AdminKey"/> is that key, opened from the key file.
/// </summary>
internal sealed class TestNode : IAsyncDisposable
{
    public const string ChainId = "medledger-node-tests";

    /// <summary>Far enough ahead for any test, well inside <see cref="Limits.MaxExpiryWindowBlocks"/>.</summary>
    public const ulong DefaultExpiryHeight = 10_000;

    /// <summary>The node key's passphrase in every test folder.</summary>
    public const string Passphrase = "node tests passphrase";

    private readonly string _root;
    private readonly bool _ownsRoot;
    private bool _stopped;

    private TestNode(string root, bool ownsRoot, WebApplication app, ISigningKey adminKey)
    {
        _root = root;
        _ownsRoot = ownsRoot;
        DataDirectory = new NodeDataDirectory(DataPath(root));
        App = app;
        AdminKey = adminKey;
        AdminId = Suite.Hash(adminKey.PublicKey.Span);
        Address = new Uri(NodeHost.ApiAddress(app) + "/");
        Http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };
        Client = new MedLedgerClient(Http);
    }

    public ICryptoSuite Suite { get; } = CryptoSuites.Standard;

    /// <summary>The test folder; the node's data folder is <see cref="DataPath"/> inside it.</summary>
    public string Root => _root;

    public NodeDataDirectory DataDirectory { get; }

    public WebApplication App { get; }

    public Uri Address { get; }

    public HttpClient Http { get; }

    public MedLedgerClient Client { get; }

    /// <summary>The node key: the only validator and an administrator account.</summary>
    public ISigningKey AdminKey { get; }

    public Hash AdminId { get; }

    /// <summary>The node's data folder inside a test folder.</summary>
    public static string DataPath(string root) => Path.Combine(root, "node");

    /// <summary>A new temp folder holding an initialised, never started node in <see cref="DataPath"/>.</summary>
    public static string CreateInitializedFolder()
    {
        var root = Directory.CreateTempSubdirectory("medledger-node-tests-").FullName;
        try
        {
            NodeDataDirectory.Initialize(DataPath(root), new NodeInitOptions("test-node", ChainId, "standard", Passphrase, 0), TimeProvider.System);
            return root;
        }
        catch
        {
            Directory.Delete(root, recursive: true);
            throw;
        }
    }

    /// <summary>Initialises a node in a new temp folder and starts it on a free port; disposing deletes the folder.</summary>
    public static Task<TestNode> StartAsync() => OpenAsync(CreateInitializedFolder(), ownsRoot: true);

    /// <summary>
    /// Starts the node of an existing test folder on a free port. When <paramref name="ownsRoot"/>, disposing
    /// deletes the folder, also if the start fails.
    /// </summary>
    public static async Task<TestNode> OpenAsync(string root, bool ownsRoot)
    {
        WebApplication? app = null;
        try
        {
            // The node logs nothing here: the tests assert on what the API answers.
            app = NodeHost.Build(new NodeStartOptions(DataPath(root), 0, Passphrase), _ => { });
            await app.StartAsync();
            var key = new NodeDataDirectory(DataPath(root)).LoadNodeKey(CryptoSuites.Standard, Passphrase);
            return new TestNode(root, ownsRoot, app, key);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            if (ownsRoot)
            {
                Directory.Delete(root, recursive: true);
            }

            throw;
        }
    }

    /// <summary>Stops the node cleanly (as Ctrl-C does) and keeps its folder.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            Http.Dispose();
            await App.StopAsync();
            await App.DisposeAsync();
            AdminKey.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_ownsRoot)
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    /// <summary>The nonce after the sender's last committed one.</summary>
    public async Task<ulong> NextNonceAsync(Hash keyId) => (await Client.GetAccountAsync(keyId))!.Nonce + 1;

    /// <summary>A signed anchor of a fresh random commitment.</summary>
    public Transaction Anchor(ISigningKey key, ulong nonce, ulong expiryHeight = DefaultExpiryHeight, string chainId = ChainId) =>
        Transaction.Create(Suite, key, chainId, TransactionType.CommitmentAnchor, nonce, expiryHeight, new CommitmentAnchorPayload(RandomCommitment()).Encode());

    /// <summary>The administrator registers a fresh key with <paramref name="role"/>; returns once committed.</summary>
    public async Task<ISigningKey> RegisterAsync(AccountRole role = AccountRole.Member, string name = "member")
    {
        var key = Suite.GenerateSigningKey();
        var register = Transaction.Create(
            Suite,
            AdminKey,
            ChainId,
            TransactionType.AccountRegister,
            await NextNonceAsync(AdminId),
            DefaultExpiryHeight,
            new AccountRegisterPayload(key.PublicKey.ToArray(), role, name).Encode());
        var result = await Client.SubmitAsync(register, waitForCommit: true);
        Assert.Equal("committed", result.Status);
        return key;
    }

    /// <summary>Posts a raw body to the submission endpoint.</summary>
    public async Task<HttpResponseMessage> PostTransactionsAsync(string json, string query = "?wait=commit")
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        return await Http.PostAsync(new Uri("api/v1/transactions" + query, UriKind.Relative), content);
    }

    /// <summary>Posts one encoded transaction (any bytes) as base64.</summary>
    public Task<HttpResponseMessage> PostTransactionAsync(ReadOnlySpan<byte> encoded, string query = "?wait=commit") =>
        PostTransactionsAsync(JsonSerializer.Serialize(new { transaction = Convert.ToBase64String(encoded) }), query);

    /// <summary>What must not move when a request is refused.</summary>
    public async Task<LedgerSnapshot> SnapshotAsync()
    {
        var status = await Client.GetStatusAsync();
        Assert.Equal(0, status.MempoolSize);
        return new LedgerSnapshot(status.Height, status.LatestBlockHash, status.StateRoot, status.StateEntries);
    }

    /// <summary>Asserts that height, head, state root and state size are as before and the mempool is empty.</summary>
    public async Task AssertUnchangedAsync(LedgerSnapshot before)
    {
        var status = await Client.GetStatusAsync();
        Assert.Equal(before, new LedgerSnapshot(status.Height, status.LatestBlockHash, status.StateRoot, status.StateEntries));
        Assert.Equal(0, status.MempoolSize);
    }

    public static Hash RandomCommitment() => new(RandomNumberGenerator.GetBytes(Hash.Size));
}

/// <summary>The parts of a node's status that a refused request must leave alone.</summary>
internal sealed record LedgerSnapshot(ulong Height, string LatestBlockHash, string StateRoot, int StateEntries);

/// <summary>Checks RFC 9457 problem+json answers.</summary>
internal static class ProblemAssert
{
    /// <summary>
    /// Asserts the status, the problem+json media type, a title, the <c>status</c> member and the stable
    /// <c>code</c> extension; returns the parsed problem.
    /// </summary>
    public static async Task<JsonElement> IsProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        var context = $"{(int)response.StatusCode} {response.Content.Headers.ContentType}: {body}";
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {context}");
        Assert.True(response.Content.Headers.ContentType is MediaTypeHeaderValue { MediaType: "application/problem+json" }, $"expected problem+json, got {context}");
        using var document = JsonDocument.Parse(body);
        var problem = document.RootElement.Clone();
        Assert.True(problem.TryGetProperty("code", out var actualCode), $"no 'code' extension in {context}");
        Assert.Equal(code, actualCode.GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()), context);
        return problem;
    }
}
