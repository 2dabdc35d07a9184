namespace MedLedger.Core.Tests;

/// <summary>Invariant checks stay on in every build and name what broke.</summary>
public sealed class InvariantTests
{
    // Proves a false condition throws InvariantViolationException carrying the message and the checked expression.
    [Fact]
    public void Check_FalseCondition_ThrowsInvariantViolationException()
    {
        var height = 3;
        var exception = Assert.Throws<InvariantViolationException>(() => Invariant.Check(height == 4, "blocks commit in order"));
        Assert.Contains("blocks commit in order", exception.Message, StringComparison.Ordinal);
        Assert.Contains("height == 4", exception.Message, StringComparison.Ordinal);
    }

    // Proves a true condition does nothing.
    [Fact]
    public void Check_TrueCondition_DoesNotThrow()
    {
        Invariant.Check(1 + 1 == 2, "arithmetic works");
    }

    // Proves the violation is not an ArgumentException or DecodingException, so handlers for bad input never swallow
    // a bug by accident.
    [Fact]
    public void InvariantViolationException_IsNotAnInputError()
    {
        Exception exception = new InvariantViolationException("x");
        Assert.False(exception is ArgumentException);
        Assert.False(exception is DecodingException);
        Assert.False(exception is InvalidOperationException);
    }
}
