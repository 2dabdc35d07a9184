using MedLedger.Web;
using MedLedger.Web.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace MedLedger.Node.Web;

/// <summary>
/// Hosts the web UI in the node (ARCHITECTURE §10): registers MedLedger.Web's own services and this node's
/// implementations of its application-service interfaces, and maps the pages. Two lines in <see cref="NodeHost"/>.
/// </summary>
public static class WebRegistration
{
    public static IServiceCollection AddMedLedgerWeb(this IServiceCollection services)
    {
        services.AddMedLedgerWebUi();
        services.AddSingleton<WebCallers>();
        services.AddSingleton<NodeWebDesks>();
        services.AddSingleton<ISignIn>(provider => provider.GetRequiredService<NodeWebDesks>());
        services.AddSingleton<IPatientPortal>(provider => provider.GetRequiredService<NodeWebDesks>());
        services.AddSingleton<IRecordViewer>(provider => provider.GetRequiredService<NodeWebDesks>());
        services.AddSingleton<IDoctorDesk>(provider => provider.GetRequiredService<NodeWebDesks>());
        services.AddSingleton<IAuditDesk>(provider => provider.GetRequiredService<NodeWebDesks>());
        services.AddSingleton<IAdminDesk>(provider => provider.GetRequiredService<NodeWebDesks>());
        services.AddSingleton<IExplorer>(provider => provider.GetRequiredService<NodeWebDesks>());
        return services;
    }

    public static WebApplication MapMedLedgerWeb(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapMedLedgerWebUi();
        return app;
    }
}
