import GateCore
print("gatescope")
