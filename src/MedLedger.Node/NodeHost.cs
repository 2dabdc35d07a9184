using System.Net;
using System.Text.Json.Serialization;
using MedLedger.Consensus;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Node.Api;
using MedLedger.Node.Medical;
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
public sealed record NodeStartOptions(string DataDirectory, int? ApiPort = null, string? Passphrase = null);

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
            ledger = RestoreLedger(genesis, store);
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
        builder.Services.AddSingleton<IConsensusEngine>(new SingleValidatorEngine(signer));
        builder.Services.AddSingleton(provider => new ConsensusDriver(
            ledger,
            store,
            provider.GetRequiredService<Mempool>(),
            provider.GetRequiredService<IConsensusEngine>(),
            provider.GetRequiredService<ProposalJournal>(),
            provider.GetRequiredService<CommitNotifier>(),
            identity.KeyId,
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<ConsensusDriver>>()));
        builder.Services.AddSingleton<LedgerService>();
        builder.Services.AddHostedService<ConsensusService>();
        builder.Services.AddSingleton(hosted);
        builder.Services.AddSingleton(empi);
        builder.Services.AddSingleton<IRecordStore>(records);
        builder.Services.AddSingleton<IRecordContentValidator, FhirContentValidator>();
        builder.Services.AddSingleton<RequestAuthenticator>();
        builder.Services.AddSingleton<AccessLogger>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<AccessLogger>());
        builder.Services.AddSingleton<ChainIndexer>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<ChainIndexer>());
        builder.Services.AddSingleton<RecordService>();
        builder.Services.AddSingleton<CustodyService>();
        builder.Services.AddSingleton<QueryService>();
        builder.Services.AddSingleton<DeidentifiedService>();
        builder.Services.AddSingleton<Gate>();
        builder.Services.AddHealthChecks().AddCheck<ReadinessCheck>("consensus", tags: ["ready"]);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapHealthChecks("/health/live", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        app.MapLedgerEndpoints();
        app.MapMedicalEndpoints();
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

    private static LedgerStateMachine RestoreLedger(GenesisDocument genesis, SqliteChainStore store)
    {
        var suite = CryptoSuites.Get(genesis.Suite);
        if (store.Height == 0)
        {
            return LedgerStateMachine.FromGenesis(genesis);
        }

        // Check the head before serving it: the last block must decode, carry a valid certificate, and the stored
        // state must hash to its state root. `medledger chain verify` checks every block.
        Block head;
        try
        {
            head = store.LoadBlock(store.Height) ?? throw new NodeSetupException($"The store says height {store.Height} but holds no such block.");
        }
        catch (StoreCorruptedException exception)
        {
            throw new NodeSetupException($"The stored chain is damaged at its head: {exception.Message} Run 'medledger chain verify'.", exception);
        }

        var validators = genesis.CreateValidatorSet(suite);
        var reason = validators.VerifyCommit(suite, genesis.ChainId, head.Header.Height, head.Header.ComputeHash(suite), head.Certificate);
        if (reason is not null)
        {
            throw new NodeSetupException($"The certificate of stored block {head.Header.Height} is invalid ({reason}); run 'medledger chain verify'.");
        }

        try
        {
            return LedgerStateMachine.Restore(genesis, store.LoadState(), head.Header);
        }
        catch (StateMismatchException exception)
        {
            throw new NodeSetupException($"{exception.Message} Run 'medledger chain verify'.", exception);
        }
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
