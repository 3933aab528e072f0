import CNcurses
import GateView
