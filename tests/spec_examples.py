"""Examples printed in the specs, shared by the tests that check them."""

# The `[policy]` example of methodology §9, as printed there (source text aside).
SPEC_POLICY_TOML = """
[policy]
illustrative = true
source = "示意"

[policy.electricity_surcharge]
C = 0.05
D = 0.30
repeat = { tier = "D", years = 3, rate = 0.40 }

[policy.water_surcharge]
base_price = 4.5
C = 15
D = 30

[policy.land_tax_relief]
rate = 6.0
A = 100
B = 50
"""
