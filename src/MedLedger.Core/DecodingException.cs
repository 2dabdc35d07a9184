namespace MedLedger.Core;

/// <summary>
/// Input bytes are not a valid canonical encoding: truncated, oversized, out of range, non-canonical or followed
/// by trailing bytes. Thrown by <see cref="CanonicalReader"/>; callers turn it into a clean rejection.
/// </summary>
public sealed class DecodingException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DecodingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public DecodingException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public DecodingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
