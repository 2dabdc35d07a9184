using System.CommandLine;
using MedLedger.Cli;

var root = new RootCommand("MedLedger: a consortium blockchain for sharing medical records.")
{
    KeyCommands.Create(),
    NodeCommands.Create(),
    ChainCommands.Create(),
    UpCommand.Create(),
    BenchCommand.Create(),
};
MedicalCommands.Register(root);

// Ctrl-C and SIGTERM cancel the running verb; 'up' then stops its node processes, which takes more than the default 2 s.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(60) }).ConfigureAwait(false);
