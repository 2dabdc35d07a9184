using System.Net;
using System.Text.Json.Serialization;
using MedLedger.Consensus;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Node.Api;
using MedLedger.Node.Consortium;
using MedLedger.Node.Medical;
using MedLedger.Node.Web;
using MedLedger.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MedLedger.Node;

/// <summary>How to start a node.</summary>
/// <param name="DataDirectory">The node's data folder (created by <c>node init</c>).</param>
/// <param name="ApiPort">Overrides the API port from node.json; 0 picks a free port.</param>
/// <param name="Passphrase">The node key's passphrase, if not from the environment or the generated file.</param>
/// <param name="PeerPort">
/// Overrides node.json's <c>PeerPort</c>. Any value runs the peer network and the BFT engine, and 0 here picks a free port
/// (in node.json 0 means "no peer network": a single-validator chain). Null keeps node.json's choice.
/// </param>
/// <param name="Peers">Peer addresses (<c>host:port</c>) to dial besides node.json's <c>Peers</c>.</param>
/// <param name="Consensus">BFT timeouts; the <see cref="TendermintOptions"/> defaults when null (tests shorten them).</param>
/// <param name="MinBlockInterval">Block pacing (<see cref="BlockPacer"/>); its default (10 ms) when null, zero turns it off.</param>
public sealed record NodeStartOptions(string DataDirectory, int? ApiPort = null, string? Passphrase = null, int? PeerPort = null, IReadOnlyList<string>? Peers = null, TendermintOptions? Consensus = null, TimeSpan? MinBlockInterval = null);

/// <summary>
/// The composition root (ARCHITECTURE §2): opens the data folder, restores the ledger from the store, and hosts
/// the consensus driver and the REST API in one ASP.NET Core application.
/// </summary>
public static partial class NodeHost
{
    /// <summary>
    /// Builds a node ready to start. Throws <see cref="NodeSetupException"/> with a one-line reason when the data
    /// folder is missing, the key cannot be opened, or the stored chain does not verify at its head.
    /// </summary>
    public static WebApplication Build(NodeStartOptions options, Action<ILoggingBuilder>? configureLogging = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var directory = new NodeDataDirectory(options.DataDirectory);
        if (!directory.IsInitialized)
        {
            throw new NodeSetupException($"'{directory.Root}' is not an initialised node; run 'medledger node init --data {options.DataDirectory}' first.");
        }

        var genesis = directory.LoadGenesis();
        var settings = directory.LoadSettings();
        var suite = CryptoSuites.Get(genesis.Suite);
        var key = directory.LoadNodeKey(suite, options.Passphrase);
        var identity = new NodeIdentity(settings.Name, suite.Hash(key.PublicKey.Span));

        var store = SqliteChainStore.Open(directory.ChainDatabasePath, suite);
        LedgerStateMachine ledger;
        FileVoteSigner signer;
        HostedOrganisations hosted;
        EmpiKeys empi;
        SqliteRecordStore records;
        try
        {
            store.Initialize(genesis);
            ledger = RestoreLedger(genesis, store, new ValidatorSetHistory(directory.ValidatorSetsPath, suite));
            signer = new FileVoteSigner(directory.LastSignedPath, suite, key, genesis.ChainId);

            // A validator that signed for a height beyond the next one has lost committed blocks (a deleted or
            // restored-from-old-backup chain.db): serving from here would silently rewrite history.
            if (signer.LastPosition is { } last && last.Height > store.Height + 1)
            {
                throw new NodeSetupException($"chain.db is at height {store.Height} but this validator signed at height {last.Height}: committed blocks are missing; restore chain.db from a backup.");
            }

            hosted = HostedOrganisations.Open(directory, suite, ledger, settings.Organisations ?? [], options.Passphrase);
            // A node that holds no organisation's records enrols nobody, so its EMPI keys need not persist.
            empi = hosted.Ids.Count > 0 ? EmpiKeys.Open(directory, suite, options.Passphrase) : EmpiKeys.Ephemeral(suite);
            records = SqliteRecordStore.Open(directory.RecordDatabasePath, suite);
        }
        catch
        {
            store.Dispose();
            key.Dispose();
            throw;
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "MedLedger.Node" });
        builder.Logging.ClearProviders();
        if (configureLogging is null)
        {
            builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

            // The web UI's pages carry antiforgery tokens and are never cached on purpose; the framework warns about
            // overriding the cache headers on every such page.
            builder.Logging.AddFilter("Microsoft.AspNetCore.Antiforgery", LogLevel.Error);
        }
        else
        {
            configureLogging(builder.Logging);
        }

        var port = options.ApiPort ?? settings.ApiPort;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, port);
            kestrel.Limits.MaxRequestBodySize = Core.Limits.MaxRequestBodyBytes;
            kestrel.AddServerHeader = false;
        });

        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.Services.AddProblemDetails(problems => problems.CustomizeProblemDetails = context =>
        {
            // Kestrel and parameter binding refuse bad requests (unreadable JSON, a body over the size limit) before
            // any endpoint runs, so their problems carry no code yet: say why, without echoing the input.
            var details = context.ProblemDetails;
            if (details.Extensions.ContainsKey("code"))
            {
                return;
            }

            (details.Detail, details.Extensions["code"]) = details.Status switch
            {
                StatusCodes.Status400BadRequest => ("The request is not valid JSON of the expected shape, or a parameter is malformed.", "Malformed"),
                StatusCodes.Status413PayloadTooLarge => ($"The request body exceeds {Core.Limits.MaxRequestBodyBytes} bytes.", "TooLarge"),
                StatusCodes.Status404NotFound => ("There is no such resource.", "NotFound"),
                StatusCodes.Status405MethodNotAllowed => ("The resource does not support this method.", "MethodNotAllowed"),
                _ => (details.Detail, "Error"),
            };
        });
        builder.Services.AddOpenApi(openApi => openApi.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "MedLedger node API";
            document.Info.Description = "REST API of a MedLedger node: ledger status, blocks, transactions with inclusion proofs, accounts; organisations, users, patient custody, encrypted records, grants, the access log, EMPI search and integrity audits.";
            return Task.CompletedTask;
        }));

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(genesis);
        builder.Services.AddSingleton(identity);
        builder.Services.AddSingleton<IChainStore>(store);
        builder.Services.AddSingleton(ledger);
        builder.Services.AddSingleton(key);
        builder.Services.AddSingleton<Mempool>();
        builder.Services.AddSingleton<CommitNotifier>();
        builder.Services.AddSingleton(new ProposalJournal(directory.ProposalPath, suite));

        // A consortium member (a peer port in node.json or asked for here) runs the BFT engine over the peer network; a
        // folder without one keeps the single-validator engine, exactly as before (ADR 0008).
        var peerPort = options.PeerPort ?? (settings.PeerPort > 0 ? settings.PeerPort : (int?)null);
        IConsensusEngine engine = peerPort is null
            ? new SingleValidatorEngine(signer)
            : new TendermintEngine(signer, genesis.ChainId, suite, options.Consensus ?? new TendermintOptions());
        builder.Services.AddSingleton(engine);
        builder.Services.AddSingleton(provider =>
        {
            var clock = provider.GetRequiredService<TimeProvider>();
            var driver = new ConsensusDriver(
                ledger,
                store,
                provider.GetRequiredService<Mempool>(),
                provider.GetRequiredService<IConsensusEngine>(),
                provider.GetRequiredService<ProposalJournal>(),
                provider.GetRequiredService<CommitNotifier>(),
                identity.KeyId,
                clock,
                provider.GetRequiredService<ILogger<ConsensusDriver>>(),
                peerPort is null ? null : new ConsensusLockFile(directory.LockPath, suite),
                new ValidatorSetHistory(directory.ValidatorSetsPath, suite));
            if (options.MinBlockInterval is { } interval)
            {
                driver.Pacing = new BlockPacer(clock, interval);
            }

            return driver;
        });
        if (peerPort is { } listenPort)
        {
            var peers = (settings.Peers ?? []).Concat(options.Peers ?? []).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            builder.Services.AddSingleton(provider => new ConsortiumNetwork(
                new ConsortiumNetworkOptions(listenPort, peers),
                key,
                ledger,
                store,
                provider.GetRequiredService<Mempool>(),
                provider.GetRequiredService<ConsensusDriver>(),
                provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<ILoggerFactory>()));
            builder.Services.AddHostedService<NetworkService>();
        }

        builder.Services.AddSingleton<LedgerService>();
        builder.Services.AddHostedService<ConsensusService>();
        builder.Services.AddSingleton(hosted);
        builder.Services.AddSingleton(empi);
        builder.Services.AddSingleton<IRecordStore>(records);
        builder.Services.AddSingleton<IRecordContentValidator, FhirContentValidator>();
        builder.Services.AddSingleton<RequestAuthenticator>();
        builder.Services.AddSingleton<NodeNonces>();
        builder.Services.AddSingleton<AccessLogger>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<AccessLogger>());
        builder.Services.AddSingleton<EvidenceReporter>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<EvidenceReporter>());
        builder.Services.AddSingleton<ChainIndexer>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<ChainIndexer>());
        builder.Services.AddSingleton<RecordService>();
        builder.Services.AddSingleton<RemoteRecords>();
        builder.Services.AddSingleton<CustodyService>();
        builder.Services.AddSingleton<PassphraseThrottle>();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton<QueryService>();
        builder.Services.AddSingleton<DeidentifiedService>();
        builder.Services.AddSingleton<Gate>();
        builder.Services.AddMedLedgerWeb();
        builder.Services.AddHealthChecks().AddCheck<ReadinessCheck>("consensus", tags: ["ready"]);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapHealthChecks("/health/live", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        app.MapLedgerEndpoints();
        app.MapMedicalEndpoints();
        app.MapMedLedgerWeb();
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            records.Dispose();
            hosted.Dispose();
            store.Dispose();
            ledger.Dispose();
            key.Dispose();
        });
        return app;
    }

    /// <summary>The URL the API listens on, once started.</summary>
    public static string ApiAddress(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    /// <summary>The address (<c>127.0.0.1:port</c>) peers reach this node on, or null when it runs no peer network.</summary>
    public static string? PeerAddress(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetService<ConsortiumNetwork>()?.LocalEndpoint?.ToString();
    }

    /// <summary>Starts dialling another consortium node (<c>host:port</c>); for nodes whose addresses are known only after start.</summary>
    public static void AddPeer(WebApplication app, string address)
    {
        ArgumentNullException.ThrowIfNull(app);
        var network = app.Services.GetService<ConsortiumNetwork>() ?? throw new InvalidOperationException("This node runs no peer network.");
        network.AddPeer(address);
    }

    private static LedgerStateMachine RestoreLedger(GenesisDocument genesis, SqliteChainStore store, ValidatorSetHistory history)
    {
        var suite = CryptoSuites.Get(genesis.Suite);
        if (store.Height == 0)
        {
            return LedgerStateMachine.FromGenesis(genesis);
        }

        // Check the chain before serving it: the head must decode and the stored state must hash to its state root; then
        // every stored block is checked (StoredChainCheck). `medledger chain verify` also re-executes every block.
        Block head;
        try
        {
            head = store.LoadBlock(store.Height) ?? throw new NodeSetupException($"The store says height {store.Height} but holds no such block.");
        }
        catch (StoreCorruptedException exception)
        {
            throw new NodeSetupException($"The stored chain is damaged at its head: {exception.Message} Run 'medledger chain verify'.", exception);
        }

        LedgerStateMachine ledger;
        try
        {
            ledger = LedgerStateMachine.Restore(genesis, store.LoadState(), head.Header);
        }
        catch (StateMismatchException exception)
        {
            throw new NodeSetupException($"{exception.Message} Run 'medledger chain verify'.", exception);
        }

        // Every stored block, not only the head, must be intact and certified by the set in force before it, whose hash
        // its header names (ADR 0008): genesis's, one recorded when it took effect, or the restored state's.
        var known = new List<ValidatorSet> { genesis.CreateValidatorSet(suite), ledger.ValidatorSet };
        known.AddRange(history.Load().Select(e => e.Validators));
        if (StoredChainCheck.Verify(genesis, store, known, ledger.GenesisHash) is { } fault)
        {
            ledger.Dispose();
            throw new NodeSetupException($"The stored chain is damaged at height {fault.Height}: {fault.Reason}. The node does not serve it; restore chain.db from a backup (or move it away to sync the chain from peers) and run 'medledger chain verify'.");
        }

        return ledger;
    }

    private sealed class NetworkService(ConsortiumNetwork network) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            network.Start();
            return Task.CompletedTask;
        }

        public async Task StopAsync(CancellationToken cancellationToken) => await network.DisposeAsync().ConfigureAwait(false);
    }

    private sealed partial class ConsensusService(ConsensusDriver driver, IHostApplicationLifetime lifetime, ILogger<ConsensusService> logger) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            try
            {
                await driver.RunAsync(stoppingToken).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Any failure of the consensus loop must stop the node with an error, whatever its type.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                LogFatal(exception);
                Environment.ExitCode = 70;
                lifetime.StopApplication();
            }
        }

        [LoggerMessage(Level = LogLevel.Critical, Message = "The consensus loop failed; the node stops")]
        private partial void LogFatal(Exception exception);
    }

    private sealed class ReadinessCheck(ConsensusDriver driver) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(driver.IsRunning ? HealthCheckResult.Healthy("consensus is running") : HealthCheckResult.Unhealthy("consensus is not running"));
    }
}
