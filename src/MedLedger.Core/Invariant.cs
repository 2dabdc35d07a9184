using System.Runtime.CompilerServices;

namespace MedLedger.Core;

/// <summary>
/// Always-on assertions for conditions that can only be false through a bug in MedLedger itself.
/// Unlike <c>Debug.Assert</c> they stay in Release builds: a broken invariant stops the process rather than
/// letting it write a wrong block. Bad input is never an invariant violation; it gets an exception or a result.
/// </summary>
public static class Invariant
{
    /// <summary>Throws <see cref="InvariantViolationException"/> when <paramref name="condition"/> is false.</summary>
    public static void Check(
        [System.Diagnostics.CodeAnalysis.DoesNotReturnIf(false)] bool condition,
        string message,
        [CallerArgumentExpression(nameof(condition))] string? expression = null)
    {
        if (!condition)
        {
            throw new InvariantViolationException($"Invariant violated: {message} ({expression})");
        }
    }
}

/// <summary>A bug: an internal invariant does not hold. Not to be caught except at the top of the process.</summary>
public sealed class InvariantViolationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InvariantViolationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public InvariantViolationException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public InvariantViolationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
