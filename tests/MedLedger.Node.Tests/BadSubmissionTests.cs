using System.Net;
using System.Text;
using System.Text.Json;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Node.Tests;

/// <summary>
/// SPEC §4 for <c>POST /api/v1/transactions</c>: every kind of bad input gets the right 4xx status with a
/// problem+json <c>code</c>, and changes nothing — the height, head, state root and state size stay as they were
/// and nothing is left in the mempool.
/// </summary>
public sealed class BadSubmissionTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private readonly TestNode _node = fixture.Node;

    [Fact]
    public async Task UndecodableBase64_Is400Malformed_AndChangesNothing()
    {
        // A transaction string that is not base64 is refused before decoding.
        var before = await _node.SnapshotAsync();

        using var response = await _node.PostTransactionsAsync("""{"transaction":"not base64!"}""");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "Malformed");
        await _node.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task TruncatedTransaction_Is400Malformed_AndChangesNothing()
    {
        // A valid signed transaction cut short by one byte, and cut to its first byte, does not decode.
        var transaction = _node.Anchor(_node.AdminKey, await _node.NextNonceAsync(_node.AdminId));
        var before = await _node.SnapshotAsync();

        foreach (var length in new[] { transaction.EncodedLength - 1, transaction.EncodedLength / 2, 1, 0 })
        {
            using var response = await _node.PostTransactionAsync(transaction.Encoded.Span[..length]);
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "Malformed");
        }

        await _node.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task TrailingGarbage_Is400Malformed_AndChangesNothing()
    {
        // A valid signed transaction followed by one extra byte is refused: decoding is strict about the end.
        var transaction = _node.Anchor(_node.AdminKey, await _node.NextNonceAsync(_node.AdminId));
        var before = await _node.SnapshotAsync();

        using var response = await _node.PostTransactionAsync([.. transaction.Encoded.Span, 0x00]);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "Malformed");
        await _node.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task ForgedSignature_Is401InvalidSignature_AndChangesNothing()
    {
        // An attacker signs the exact signing bytes of a transaction that names the administrator as sender, with
        // its own unregistered key; the node checks the signature under the administrator's registered key.
        using var attacker = _node.Suite.GenerateSigningKey();
        var nonce = await _node.NextNonceAsync(_node.AdminId);
        var payload = new CommitmentAnchorPayload(TestNode.RandomCommitment()).Encode();
        var unsigned = Transaction.FromParts(TestNode.ChainId, TransactionType.CommitmentAnchor, _node.AdminId, nonce, TestNode.DefaultExpiryHeight, payload, new byte[64]);
        var forged = Transaction.FromParts(TestNode.ChainId, TransactionType.CommitmentAnchor, _node.AdminId, nonce, TestNode.DefaultExpiryHeight, payload, attacker.Sign(unsigned.EncodeSigningBytes()));
        var before = await _node.SnapshotAsync();

        foreach (var transaction in new[] { forged, unsigned })
        {
            using var response = await _node.PostTransactionAsync(transaction.Encoded.Span);
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "InvalidSignature");
        }

        await _node.AssertUnchangedAsync(before);
        Assert.Equal(nonce, await _node.NextNonceAsync(_node.AdminId));
    }

    [Fact]
    public async Task WrongChainId_Is400WrongChain_AndChangesNothing()
    {
        // The administrator's own valid signature does not make a transaction for another chain acceptable here.
        var transaction = _node.Anchor(_node.AdminKey, await _node.NextNonceAsync(_node.AdminId), chainId: "another-chain");
        var before = await _node.SnapshotAsync();

        using var response = await _node.PostTransactionAsync(transaction.Encoded.Span);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "WrongChain");
        await _node.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task ReplayedTransaction_Is409NonceReused_AndChangesNothing()
    {
        // 1. A transaction commits. 2. The very same bytes are submitted again: the nonce is spent, so the node
        //    refuses the replay with 409 NonceReused, with or without waiting for a commit.
        var transaction = _node.Anchor(_node.AdminKey, await _node.NextNonceAsync(_node.AdminId));
        Assert.Equal("committed", (await _node.Client.SubmitAsync(transaction, waitForCommit: true)).Status);
        var before = await _node.SnapshotAsync();

        foreach (var query in new[] { "?wait=commit", string.Empty })
        {
            using var response = await _node.PostTransactionAsync(transaction.Encoded.Span, query);
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, "NonceReused");
        }

        await _node.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task LowerNonce_Is409NonceReused_AndChangesNothing()
    {
        // 1. Two transactions commit (nonces n and n+1). 2. A new, differently signed transaction with nonce n, and
        //    one with nonce 0, are refused: a nonce must exceed the sender's last one.
        var nonce = await _node.NextNonceAsync(_node.AdminId);
        var committed = await _node.Client.SubmitBatchAsync([_node.Anchor(_node.AdminKey, nonce), _node.Anchor(_node.AdminKey, nonce + 1)], waitForCommit: true);
        Assert.All(committed.Results, r => Assert.Equal("committed", r.Status));
        var before = await _node.SnapshotAsync();

        foreach (var lower in new[] { nonce, 0UL })
        {
            using var response = await _node.PostTransactionAsync(_node.Anchor(_node.AdminKey, lower).Encoded.Span);
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, "NonceReused");
        }

        await _node.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task ExpiredTransaction_Is422Expired_AndChangesNothing()
    {
        // A transaction whose expiry height is the current height can no longer be included in the next block.
        var before = await _node.SnapshotAsync();
        var transaction = _node.Anchor(_node.AdminKey, await _node.NextNonceAsync(_node.AdminId), expiryHeight: before.Height);

        using var response = await _node.PostTransactionAsync(transaction.Encoded.Span);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.UnprocessableEntity, "Expired");
        await _node.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task ExpiryTooFar_Is400ExpiryTooFar_AndChangesNothing()
    {
        // An expiry more than Limits.MaxExpiryWindowBlocks ahead is refused, so a signed transaction cannot stay
        // replayable-on-a-fork forever.
        var before = await _node.SnapshotAsync();
        var transaction = _node.Anchor(_node.AdminKey, await _node.NextNonceAsync(_node.AdminId), expiryHeight: before.Height + 2 + Limits.MaxExpiryWindowBlocks);

        using var response = await _node.PostTransactionAsync(transaction.Encoded.Span);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "ExpiryTooFar");
        await _node.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task UnknownSender_Is401UnknownSender_AndChangesNothing()
    {
        // A correctly self-signed transaction from a key nobody registered is refused.
        using var stranger = _node.Suite.GenerateSigningKey();
        var before = await _node.SnapshotAsync();

        using var response = await _node.PostTransactionAsync(_node.Anchor(stranger, 1).Encoded.Span);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "UnknownSender");
        await _node.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task RevokedAccount_Is403SenderRevoked_AndChangesNothing()
    {
        // 1. The administrator registers a member, whose anchor commits. 2. The administrator revokes the member.
        // 3. The member's next transaction is refused with 403 SenderRevoked; the account stays, marked revoked.
        using var member = await _node.RegisterAsync();
        var memberId = _node.Suite.Hash(member.PublicKey.Span);
        Assert.Equal("committed", (await _node.Client.SubmitAsync(_node.Anchor(member, 1), waitForCommit: true)).Status);
        var revoke = Transaction.Create(_node.Suite, _node.AdminKey, TestNode.ChainId, TransactionType.AccountRevoke, await _node.NextNonceAsync(_node.AdminId), TestNode.DefaultExpiryHeight, new AccountRevokePayload(memberId).Encode());
        Assert.Equal("committed", (await _node.Client.SubmitAsync(revoke, waitForCommit: true)).Status);
        var before = await _node.SnapshotAsync();

        using var response = await _node.PostTransactionAsync(_node.Anchor(member, 2).Encoded.Span);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, "SenderRevoked");
        await _node.AssertUnchangedAsync(before);
        var account = await _node.Client.GetAccountAsync(memberId);
        Assert.True(account!.Revoked);
        Assert.Equal(1UL, account.Nonce);
    }

    [Fact]
    public async Task MemberRegisteringAnAccount_Is403NotAuthorized_AndChangesNothing()
    {
        // A member's AccountRegister passes the admission checks (signature, nonce) but fails execution when the
        // block is built; with ?wait=commit the node reports that outcome as 403 NotAuthorized and drops it.
        using var member = await _node.RegisterAsync();
        using var newcomer = _node.Suite.GenerateSigningKey();
        var register = Transaction.Create(_node.Suite, member, TestNode.ChainId, TransactionType.AccountRegister, 1, TestNode.DefaultExpiryHeight, new AccountRegisterPayload(newcomer.PublicKey.ToArray(), AccountRole.Administrator, "self-made admin").Encode());
        var before = await _node.SnapshotAsync();

        using var response = await _node.PostTransactionAsync(register.Encoded.Span);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, "NotAuthorized");
        await _node.AssertUnchangedAsync(before);
        Assert.Null(await _node.Client.GetAccountAsync(_node.Suite.Hash(newcomer.PublicKey.Span)));
        Assert.Null(await _node.Client.GetTransactionAsync(register.ComputeId(_node.Suite)));
    }

    [Fact]
    public async Task MemberRegisteringAnAccount_WithoutWaiting_IsAdmittedThenDropped()
    {
        // Without ?wait=commit the answer comes at admission (202 pending); the block builder then drops the
        // transaction, after which the node does not know it and nothing changed.
        using var member = await _node.RegisterAsync();
        using var newcomer = _node.Suite.GenerateSigningKey();
        var register = Transaction.Create(_node.Suite, member, TestNode.ChainId, TransactionType.AccountRegister, 1, TestNode.DefaultExpiryHeight, new AccountRegisterPayload(newcomer.PublicKey.ToArray(), AccountRole.Member, "sneaky").Encode());
        var before = await _node.SnapshotAsync();

        using var response = await _node.PostTransactionAsync(register.Encoded.Span, query: string.Empty);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var admitted = JsonSerializer.Deserialize<SubmitTransactionsResponse>(await response.Content.ReadAsStringAsync(), JsonSerializerOptions.Web)!;
        Assert.Equal("pending", Assert.Single(admitted.Results).Status);
        await WaitForEmptyMempoolAsync();
        await _node.AssertUnchangedAsync(before);
        Assert.Null(await _node.Client.GetTransactionAsync(register.ComputeId(_node.Suite)));
    }

    [Fact]
    public async Task FailingExecution_WithWait_IsReportedWithItsCode_AndChangesNothing()
    {
        // Refusals that only executing the transaction finds (payload rules, existing or missing things) are reported
        // like admission refusals when waiting for the commit: an anchor payload that does not decode (400
        // InvalidPayload), an already anchored commitment (409 AlreadyExists), revoking an account that does not
        // exist (422 NotFound); and an unknown type, refused at admission (400 UnknownType).
        var commitment = TestNode.RandomCommitment();
        var anchored = Transaction.Create(_node.Suite, _node.AdminKey, TestNode.ChainId, TransactionType.CommitmentAnchor, await _node.NextNonceAsync(_node.AdminId), TestNode.DefaultExpiryHeight, new CommitmentAnchorPayload(commitment).Encode());
        Assert.Equal("committed", (await _node.Client.SubmitAsync(anchored, waitForCommit: true)).Status);
        var before = await _node.SnapshotAsync();
        var nonce = await _node.NextNonceAsync(_node.AdminId);

        var cases = new (TransactionType Type, byte[] Payload, HttpStatusCode Status, string Code)[]
        {
            (TransactionType.CommitmentAnchor, [1, 2, 3], HttpStatusCode.BadRequest, "InvalidPayload"),
            ((TransactionType)999, [], HttpStatusCode.BadRequest, "UnknownType"),
            (TransactionType.CommitmentAnchor, new CommitmentAnchorPayload(commitment).Encode(), HttpStatusCode.Conflict, "AlreadyExists"),
            (TransactionType.AccountRevoke, new AccountRevokePayload(_node.Suite.Hash("nobody"u8)).Encode(), HttpStatusCode.UnprocessableEntity, "NotFound"),
        };
        foreach (var (type, payload, status, code) in cases)
        {
            var transaction = Transaction.Create(_node.Suite, _node.AdminKey, TestNode.ChainId, type, nonce, TestNode.DefaultExpiryHeight, payload);
            using var response = await _node.PostTransactionAsync(transaction.Encoded.Span);
            await ProblemAssert.IsProblemAsync(response, status, code);
        }

        await _node.AssertUnchangedAsync(before);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("""{"transaction": 5}""")]
    [InlineData("""{"transactions": "AAAA"}""")]
    public async Task InvalidJsonBody_Is400Malformed_AndChangesNothing(string body)
    {
        // Bodies that are not JSON, or JSON of the wrong shape, are refused by the body binding as problem+json.
        var before = await _node.SnapshotAsync();

        using var response = await _node.PostTransactionsAsync(body);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "Malformed");
        await _node.AssertUnchangedAsync(before);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"transaction": null, "transactions": null}""")]
    [InlineData("""{"transaction": "AAAA", "transactions": ["AAAA"]}""")]
    [InlineData("""{"transactions": []}""")]
    public async Task NeitherOrBothFields_OrAnEmptyBatch_Is400Malformed_AndChangesNothing(string body)
    {
        // The body names exactly one of 'transaction' and 'transactions', and a batch is not empty.
        var before = await _node.SnapshotAsync();

        using var response = await _node.PostTransactionsAsync(body);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "Malformed");
        await _node.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task InvalidWaitValue_Is400Malformed_AndChangesNothing()
    {
        // 'wait' accepts only 'commit'; a valid transaction with another value is not admitted.
        var transaction = _node.Anchor(_node.AdminKey, await _node.NextNonceAsync(_node.AdminId));
        var before = await _node.SnapshotAsync();

        using var response = await _node.PostTransactionAsync(transaction.Encoded.Span, "?wait=forever");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "Malformed");
        await _node.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task BatchOverTheLimit_Is400Malformed_AndAdmitsNone()
    {
        // A batch of Limits.MaxTransactionsPerRequest + 1 valid transactions is refused as a whole; none of them
        // (they are valid) reaches the mempool.
        var nonce = await _node.NextNonceAsync(_node.AdminId);
        var transactions = Enumerable.Range(0, Limits.MaxTransactionsPerRequest + 1)
            .Select(i => Convert.ToBase64String(_node.Anchor(_node.AdminKey, nonce + (ulong)i).Encoded.Span))
            .ToList();
        var before = await _node.SnapshotAsync();

        using var response = await _node.PostTransactionsAsync(JsonSerializer.Serialize(new { transactions }), query: string.Empty);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "Malformed");
        await _node.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task BatchWithOneBadEntry_IsRefusedWholeIfItIsNotBase64()
    {
        // Base64 is checked for the whole batch before any transaction is admitted, so a good transaction next to
        // an undecodable string is not admitted either.
        var good = _node.Anchor(_node.AdminKey, await _node.NextNonceAsync(_node.AdminId));
        var before = await _node.SnapshotAsync();

        using var response = await _node.PostTransactionsAsync(JsonSerializer.Serialize(new { transactions = new[] { Convert.ToBase64String(good.Encoded.Span), "%%%" } }));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "Malformed");
        await _node.AssertUnchangedAsync(before);
        Assert.Null(await _node.Client.GetTransactionAsync(good.ComputeId(_node.Suite)));
    }

    [Fact]
    public async Task BodyOverTheRequestSizeLimit_Is413TooLarge_AndChangesNothing()
    {
        // A body one byte over Limits.MaxRequestBodyBytes, announced by Content-Length, is refused with 413
        // TooLarge before it is read. The client sends 'Expect: 100-continue' and so receives the refusal instead
        // of writing 8 MiB into a connection the server is closing.
        var before = await _node.SnapshotAsync();
        var padding = new string('A', Limits.MaxRequestBodyBytes - """{"transaction":""}""".Length + 1);
        using var content = new StringContent($$"""{"transaction":"{{padding}}"}""", Encoding.UTF8, "application/json");
        Assert.Equal(Limits.MaxRequestBodyBytes + 1, (await content.ReadAsByteArrayAsync()).Length);
        using var handler = new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(30) };
        using var http = new HttpClient(handler) { BaseAddress = _node.Address };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("api/v1/transactions?wait=commit", UriKind.Relative)) { Content = content };
        request.Headers.ExpectContinue = true;

        using var response = await http.SendAsync(request);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "TooLarge");
        await _node.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task BodyOverTheRequestSizeLimit_Chunked_Is413TooLarge_AndChangesNothing()
    {
        // The same limit holds when the client does not announce a length (chunked transfer encoding): Kestrel
        // counts while reading and refuses with 413 TooLarge once the body passes the limit.
        var before = await _node.SnapshotAsync();
        var bytes = Encoding.UTF8.GetBytes($$"""{"transaction":"{{new string('A', Limits.MaxRequestBodyBytes)}}"}""");
        using var content = new StreamContent(new MemoryStream(bytes));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("api/v1/transactions", UriKind.Relative)) { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await _node.Http.SendAsync(request);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "TooLarge");
        await _node.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task DuplicateOfAPendingTransaction_Is409Duplicate()
    {
        // Mempool admission refuses the same (sender, nonce) twice. Submitting the same batch twice in one request
        // makes the second copy meet the first in the mempool deterministically (batches admit in order).
        var transaction = _node.Anchor(_node.AdminKey, await _node.NextNonceAsync(_node.AdminId));
        var encoded = Convert.ToBase64String(transaction.Encoded.Span);

        using var response = await _node.PostTransactionsAsync(JsonSerializer.Serialize(new { transactions = new[] { encoded, encoded } }));

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        var results = JsonSerializer.Deserialize<SubmitTransactionsResponse>(body, JsonSerializerOptions.Web)!.Results;
        Assert.Equal(2, results.Count);
        Assert.Equal("committed", results[0].Status);
        Assert.Equal("rejected", results[1].Status);
        Assert.Equal("Duplicate", results[1].Code);
    }

    private async Task WaitForEmptyMempoolAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((await _node.Client.GetStatusAsync(timeout.Token)).MempoolSize > 0)
        {
            await Task.Delay(20, timeout.Token);
        }
    }
}
