#!/usr/bin/env python3
"""Fixtures of the models students really train, for gatescope's model-file tests.

Each case is an nn.Module written the way course notebooks and tutorials write it (an
embedding, nn.LSTM / nn.GRU / nn.RNN or a cell in a loop, a linear head under its usual
name), saved as the file a student would have (a state_dict with torch.save, a training
checkpoint dict, the whole pickled module, safetensors), and NAME.json: the pipeline
gatescope should find in the file and the trace PyTorch computes for it.

How the expected values are made (see Tools/reference/README.md):
- h of layer k at step t is output[t] of the real module class run on the whole sequence:
  the module itself for its last layer, the module cut after layer k (same weights) for the
  layers below; both directions of a bidirectional layer come from that one output.
- c (LSTM) comes from stepping a one-direction, one-layer copy of the layer, asserted to give
  the same h and to end on the module's own c_n; cells are stepped as the model's loop does.
- The gates are recomputed from the same weights with torch ops and asserted to reproduce
  the module's h and c within 2e-6; the model's own forward must give the trace's y (or h).

    python3 Tools/reference/make_model_fixtures.py      # rewrites Tests/Fixtures/models/
"""

import dataclasses
import io
import pickle
import pickletools
import json
import pathlib
import sys
from typing import Callable, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from make_fixtures import GATES, cell_step, f32_list, sort_metadata, write_json

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "Fixtures" / "models"

KINDS = {nn.LSTM: "lstm", nn.GRU: "gru", nn.RNN: "rnn",
         nn.LSTMCell: "lstm", nn.GRUCell: "gru", nn.RNNCell: "rnn"}
ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu}
# nn.LSTM/GRU/RNN register their parameters with setattr, which interns the name: the key in
# _parameters is the very string of _all_weights only if no equal string was interned
# before, which depends on what earlier cases left alive. Interning every name up front (and
# keeping it) makes the pickle of a whole module, and so the file's bytes, the same each run.
INTERNED_NAMES = [sys.intern(f"{weight}_l{k}{suffix}")
                  for weight in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
                  for k in range(4) for suffix in ("", "_reverse")]
# How close the recomputed gates must bring back the module's states, and how close two
# PyTorch paths (fused sequence, stepped copy, the model's own forward) must agree.
GATE_TOLERANCE = 2e-6
MODULE_TOLERANCE = 1e-6


# ---------------------------------------------------------------------------------------
# The models, as tutorials write them. Each forward takes a batch of one sequence,
# batch-first unless the class says SEQ_FIRST (the class attribute is not pickled).

class SentimentLSTM(nn.Module):
    """Text classifier of most course notebooks: the last hidden state goes to the head."""

    def __init__(self, vocab_size, embedding_dim, hidden_dim, output_dim, num_layers=1):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim, num_layers=num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_dim, output_dim)

    def forward(self, text):
        embedded = self.embedding(text)
        _, (hidden, _) = self.lstm(embedded)
        return self.fc(hidden[-1])


class LSTMTagger(nn.Module):
    """The PyTorch sequence-tagging tutorial's model, made bidirectional and two layers deep."""

    def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim, num_layers=2, bidirectional=True,
                            batch_first=True)
        self.hidden2tag = nn.Linear(2 * hidden_dim, tagset_size)

    def forward(self, sentence):
        lstm_out, _ = self.lstm(self.word_embeddings(sentence))
        return self.hidden2tag(lstm_out)


class BiGRUClassifier(nn.Module):
    """Bidirectional GRU over numeric features; the head reads output[:, -1] (2H wide)."""

    def __init__(self, input_size, hidden_size, num_classes, bias=True):
        super().__init__()
        self.gru = nn.GRU(input_size, hidden_size, batch_first=True, bidirectional=True,
                          bias=bias)
        self.fc = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.fc(out[:, -1, :])


class ProjectedLSTM(nn.Module):
    """nn.LSTM with proj_size: h (and the head's input) is P wide, c stays H wide."""

    def __init__(self, input_size, hidden_size, proj_size, num_layers, output_size,
                 bidirectional=False):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers=num_layers, proj_size=proj_size,
                            batch_first=True, bidirectional=bidirectional)
        directions = 2 if bidirectional else 1
        self.fc = nn.Linear(directions * proj_size, output_size)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out)


class LSTMCellNet(nn.Module):
    """An nn.LSTMCell stepped in a Python loop, the head applied at every step."""

    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.cell = nn.LSTMCell(input_size, hidden_size)
        self.fc = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        h = x.new_zeros(x.size(0), self.hidden_size)
        c = x.new_zeros(x.size(0), self.hidden_size)
        outputs = []
        for t in range(x.size(1)):
            h, c = self.cell(x[:, t], (h, c))
            outputs.append(self.fc(h))
        return torch.stack(outputs, dim=1)


class GRUCellEncoder(nn.Module):
    """An nn.GRUCell named rnn_cell, no head: the loop returns every hidden state."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.rnn_cell = nn.GRUCell(input_size, hidden_size)

    def forward(self, x):
        h = x.new_zeros(x.size(0), self.hidden_size)
        states = []
        for t in range(x.size(1)):
            h = self.rnn_cell(x[:, t], h)
            states.append(h)
        return torch.stack(states, dim=1)


class RNNCellNet(nn.Module):
    """An nn.RNNCell in a loop, optionally without bias, with an optional `out` head."""

    def __init__(self, input_size, hidden_size, output_size=0, bias=True):
        super().__init__()
        self.hidden_size = hidden_size
        self.cell = nn.RNNCell(input_size, hidden_size, bias=bias)
        self.out = nn.Linear(hidden_size, output_size) if output_size else None

    def forward(self, x):
        h = x.new_zeros(x.size(0), self.hidden_size)
        outputs = []
        for t in range(x.size(1)):
            h = self.cell(x[:, t], h)
            outputs.append(self.out(h) if self.out is not None else h)
        return torch.stack(outputs, dim=1)


class StackedCells(nn.Module):
    """Two nn.LSTMCell in an nn.ModuleList, the second fed by the first at every step."""

    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.cells = nn.ModuleList([nn.LSTMCell(input_size, hidden_size),
                                    nn.LSTMCell(hidden_size, hidden_size)])
        self.fc = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        states = [(x.new_zeros(x.size(0), self.hidden_size),) * 2 for _ in self.cells]
        outputs = []
        for t in range(x.size(1)):
            inp = x[:, t]
            for n, cell in enumerate(self.cells):
                states[n] = cell(inp, states[n])
                inp = states[n][0]
            outputs.append(self.fc(inp))
        return torch.stack(outputs, dim=1)


class BiLSTMSentiment(nn.Module):
    """A bidirectional sentiment model in the style of well-known tutorials: the head reads
    the last forward state and the last reverse state (h_n[-2], h_n[-1]) concatenated."""
    SEQ_FIRST = True

    def __init__(self, vocab_size, embedding_dim, hidden_dim, output_dim, n_layers, dropout,
                 pad_idx):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_idx)
        self.rnn = nn.LSTM(embedding_dim, hidden_dim, num_layers=n_layers, bidirectional=True,
                           dropout=dropout)
        self.fc = nn.Linear(hidden_dim * 2, output_dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, text):
        embedded = self.dropout(self.embedding(text))
        _, (hidden, _) = self.rnn(embedded)
        hidden = self.dropout(torch.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1))
        return self.fc(hidden)


class GRULSTMHybrid(nn.Module):
    """GRU layer feeding an LSTM layer, as one of the source articles recommends."""
    SEQ_FIRST = True

    def __init__(self, input_size, gru_hidden, lstm_hidden, output_size):
        super().__init__()
        self.gru = nn.GRU(input_size, gru_hidden)
        self.lstm = nn.LSTM(gru_hidden, lstm_hidden)
        self.out = nn.Linear(lstm_hidden, output_size)

    def forward(self, x):
        x, _ = self.gru(x)
        x, _ = self.lstm(x)
        return self.out(x)


class LSTMGRUHybridDeclaredBackwards(nn.Module):
    """Two-layer LSTM feeding a GRU, the GRU declared first (so the state_dict lists it first)."""

    def __init__(self, input_size, lstm_hidden, gru_hidden, output_size):
        super().__init__()
        self.gru = nn.GRU(lstm_hidden, gru_hidden, batch_first=True)
        self.lstm = nn.LSTM(input_size, lstm_hidden, num_layers=2, batch_first=True)
        self.fc = nn.Linear(gru_hidden, output_size)

    def forward(self, x):
        x, _ = self.lstm(x)
        x, _ = self.gru(x)
        return self.fc(x)


class TimeSeriesLSTM(nn.Module):
    """The one-feature forecaster of time-series tutorials: `lstm` and `linear`."""

    def __init__(self, input_size=1, hidden_size=6, output_size=1):
        super().__init__()
        self.lstm = nn.LSTM(input_size=input_size, hidden_size=hidden_size, batch_first=True)
        self.linear = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        x, _ = self.lstm(x)
        return self.linear(x)


class GRUTextClassifier(nn.Module):
    """Embedding -> GRU -> `classifier` on the last hidden state."""

    def __init__(self, vocab_size, embed_dim, hidden_dim, num_classes, bias=True):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.gru = nn.GRU(embed_dim, hidden_dim, batch_first=True, bias=bias)
        self.classifier = nn.Linear(hidden_dim, num_classes)

    def forward(self, tokens):
        _, hidden = self.gru(self.embedding(tokens))
        return self.classifier(hidden[-1])


class CharRNN(nn.Module):
    """The PyTorch name-classification tutorial: nn.RNN, `h2o`, log-softmax."""
    SEQ_FIRST = True

    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.rnn = nn.RNN(input_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, line_tensor):
        _, hidden = self.rnn(line_tensor)
        return self.h2o(hidden[0])  # the tutorial applies self.softmax to this


class RNNModel(nn.Module):
    """The word_language_model example: the embedding is `encoder`, the head `decoder`."""
    SEQ_FIRST = True

    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.5):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.nhid = nhid
        self.nlayers = nlayers

    def forward(self, input):
        output, _ = self.rnn(self.drop(self.encoder(input)))
        return self.decoder(self.drop(output))


class TwoLayerHead(nn.Module):
    """LSTM then fc1 (H -> M), ReLU, fc2 (M -> K): only fc1 reads the recurrent output."""

    def __init__(self, input_size, hidden_size, mid_size, output_size):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, batch_first=True)
        self.fc1 = nn.Linear(hidden_size, mid_size)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(mid_size, output_size)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc1(out)  # what the trace's y is; the model goes on with relu and fc2


class EncoderRNN(nn.Module):
    def __init__(self, vocab_size, embed_size, hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size, hidden_size, batch_first=True)

    def forward(self, tokens):
        output, _ = self.rnn(self.embedding(tokens))
        return output


class DecoderRNN(nn.Module):
    def __init__(self, vocab_size, embed_size, hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens):
        output, _ = self.rnn(self.embedding(tokens))  # from a zero state, as gatescope runs it
        return self.out(output)


class Seq2Seq(nn.Module):
    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder


class StackedLSTM(nn.Module):
    """Multi-layer LSTM without biases, and a head without bias."""

    def __init__(self, input_size, hidden_size, num_layers, output_size):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers=num_layers, bias=False,
                            batch_first=True)
        self.fc = nn.Linear(hidden_size, output_size, bias=False)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out)


class DropoutGRU(nn.Module):
    """Two GRU layers with dropout between them (training only: the weights are the same)."""

    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.gru = nn.GRU(input_size, hidden_size, num_layers=2, dropout=0.3, batch_first=True)
        self.fc = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.fc(out)


class ReluRNN(nn.Module):
    """nn.RNN(nonlinearity='relu'): visible only in the pickled module, not in a state_dict."""

    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.rnn = nn.RNN(input_size, hidden_size, num_layers=2, nonlinearity="relu",
                          batch_first=True)
        self.fc = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out)


class TwoRNNs(nn.Module):
    """A GRU then an LSTM of the same width: their sizes chain in both orders."""

    def __init__(self, width, output_size):
        super().__init__()
        self.gru = nn.GRU(width, width, batch_first=True)
        self.lstm = nn.LSTM(width, width, batch_first=True)
        self.fc = nn.Linear(width, output_size)

    def forward(self, x):
        x, _ = self.gru(x)
        x, _ = self.lstm(x)
        return self.fc(x)


def seq2seq(src_vocab=11, tgt_vocab=9, embed=4, hidden=6):
    return Seq2Seq(EncoderRNN(src_vocab, embed, hidden), DecoderRNN(tgt_vocab, embed, hidden))


def dataparallel_state(model):
    """What nn.DataParallel(model).state_dict() holds: every key under `module.`."""
    return {f"module.{k}": v for k, v in model.state_dict().items()}


# ---------------------------------------------------------------------------------------
# The cases.

@dataclasses.dataclass
class Case:
    name: str
    build: Callable[[], nn.Module]   # called right after torch.manual_seed(seed)
    file: str                        # saved under OUT; several cases may share one file
    save: str                        # state_dict | checkpoint | whole | safetensors | dataparallel
    about: str
    seed: int
    steps: int
    recurrent: list                  # module paths in data-flow order
    embedding: Optional[str] = None  # module path of the nn.Embedding
    head: Optional[str] = None       # module path of the head nn.Linear
    prefix: str = ""                 # key prefix in the file (`module.` for DataParallel)
    open_flags: list = dataclasses.field(default_factory=list)
    expect: str = "opens"
    # What model(x) returns: y_every, y_last, h_every, y_of_ends (the head on the forward
    # pass's h at T-1 beside the reverse pass's h at 0), or none (checked by another case
    # on the same file).
    forward_gives: str = "y_every"
    pads: int = 0                    # trailing padding ids (0) in the token sequence
    train_steps: int = 0             # optimizer steps on random data before saving
    checkpoint_key: str = "model_state_dict"
    optimizer: str = "adam"          # adam | sgd (with momentum): what the checkpoint holds
    one_hot: bool = False            # inputs are one-hot rows (a character model) not randn
    forward_of: str = ""             # submodule whose forward the trace must match ("": model)
    dtype: str = ""                  # saved weights' dtype (float16, float64), "" float32
    text: str = ""                   # input words, ids from VOCABULARY (written to vocab_file)
    vocab_file: str = ""


# LSTM(3,6) -> fc1(6->5) -> fc2(5->3), trained 2 steps, saved as a {model, ...} checkpoint.
TWO_LINEAR = dict(build=lambda: TwoLayerHead(3, 6, 5, 3), file="two_linear.pth",
                  save="checkpoint", checkpoint_key="model", seed=116, steps=7,
                  recurrent=["lstm"], train_steps=2)
SENTIMENT = dict(build=lambda: SentimentLSTM(20, 4, 6, 3), seed=101, steps=7, pads=2,
                 train_steps=3, embedding="embedding", recurrent=["lstm"], head="fc",
                 forward_gives="y_last")
# A --vocab file for the sentiment model: line n is the token of id n.
VOCABULARY = ["<pad>", "<unk>", "the", "a", "movie", "film", "was", "is", "not", "very",
              "good", "bad", "great", "boring", "plot", "acting", "and", "but", "i", "loved"]
SENTIMENT_ABOUT = ("sentiment classifier Embedding(20,4, padding_idx=0) -> LSTM(4,6) -> fc(6->3), "
                   "3 Adam steps; tokens end in 2 padding ids (zero rows); ")

CASES = [
    Case("sentiment_state_dict", file="sentiment_state_dict.pt", save="state_dict",
         about=SENTIMENT_ABOUT + "torch.save(model.state_dict())", **SENTIMENT),
    Case("sentiment_checkpoint", file="sentiment_checkpoint.pth", save="checkpoint",
         about=SENTIMENT_ABOUT + "checkpoint dict {epoch, model_state_dict, "
         "optimizer_state_dict (Adam, with its moments), loss (a tensor)}", **SENTIMENT),
    Case("sentiment_whole", file="sentiment_whole.pt", save="whole",
         about=SENTIMENT_ABOUT + "torch.save(model): the whole module, class __main__.SentimentLSTM",
         **SENTIMENT),
    Case("sentiment_safetensors", file="sentiment.safetensors", save="safetensors",
         about=SENTIMENT_ABOUT + "safetensors save_file(model.state_dict())", **SENTIMENT),
    Case("sentiment_vocab", file="sentiment_state_dict.pt", save="state_dict",
         vocab_file="sentiment_vocab.txt", text="the acting was not very good but i loved the plot",
         open_flags=["--vocab", "sentiment_vocab.txt", "--text",
                     "the acting was not very good but i loved the plot"],
         about=SENTIMENT_ABOUT + "opened with --vocab (one word a line, line n is id n; paths "
               "in open_flags are relative to this folder) and --text, split on whitespace",
         **{**SENTIMENT, "steps": 11, "pads": 0}),
    Case("bilstm_tagger", lambda: LSTMTagger(5, 4, 15, 3), file="bilstm_tagger.pt",
         save="state_dict", seed=102, steps=6, embedding="word_embeddings", recurrent=["lstm"],
         head="hidden2tag",
         about="tagger: word_embeddings(15,5) -> 2-layer bidirectional LSTM(5,4) -> "
               "hidden2tag(8->3) at every step; layer 1 reads [fwd, rev] of layer 0"),
    Case("bigru", lambda: BiGRUClassifier(3, 5, 2), file="bigru.pth", save="state_dict",
         seed=103, steps=8, recurrent=["gru"], head="fc", forward_gives="y_last",
         about="bidirectional GRU(3,5), one layer, numeric input, fc(10->2)"),
    Case("lstm_proj", lambda: ProjectedLSTM(3, 6, 2, 1, 4), file="lstm_proj.pt",
         save="state_dict", seed=104, steps=6, recurrent=["lstm"], head="fc",
         about="LSTM(3,6, proj_size=2): h is W_hr(o * tanh(c)), 2 wide; fc(2->4)"),
    Case("lstm_proj_l2", lambda: ProjectedLSTM(4, 5, 3, 2, 2), file="lstm_proj_l2.pt",
         save="whole", seed=105, steps=7, recurrent=["lstm"], head="fc",
         about="2-layer LSTM(4,5, proj_size=3): layer 1's input is layer 0's projected h; "
               "fc(3->2); whole module"),
    Case("lstmcell_fc", lambda: LSTMCellNet(3, 5, 2), file="lstmcell_fc.pt", save="state_dict",
         seed=106, steps=7, recurrent=["cell"], head="fc",
         about="nn.LSTMCell(3,5) named cell, stepped in a loop, fc(5->2) at every step"),
    Case("grucell_nohead", lambda: GRUCellEncoder(4, 3), file="grucell_nohead.pt",
         save="whole", seed=107, steps=6, recurrent=["rnn_cell"], forward_gives="h_every",
         about="nn.GRUCell(4,3) named rnn_cell in a loop, no head; whole module"),
    Case("rnncell_nobias_out", lambda: RNNCellNet(3, 4, 2, bias=False),
         file="rnncell_nobias_out.pt", save="state_dict", seed=108, steps=8,
         recurrent=["cell"], head="out",
         about="nn.RNNCell(3,4, bias=False) named cell in a loop, head `out` (4->2)"),
    Case("stacked_lstmcells", lambda: StackedCells(3, 5, 2), file="stacked_lstmcells.pt",
         save="state_dict", seed=126, steps=6, recurrent=["cells.0", "cells.1"], head="fc",
         about="two nn.LSTMCell in an nn.ModuleList (cells.0: 3->5, cells.1: 5->5) stepped "
               "together, fc(5->2); the sizes chain only cells.0 -> cells.1"),
    Case("bilstm_sentiment", lambda: BiLSTMSentiment(25, 4, 3, 1, 2, 0.5, 0),
         file="bilstm_sentiment.pt", save="state_dict", seed=127, steps=7, pads=1,
         embedding="embedding", recurrent=["rnn"], head="fc", forward_gives="y_of_ends",
         about="Embedding(25,4, padding_idx=0) -> rnn = LSTM(4,3, 2 layers, bidirectional, "
               "dropout 0.5) -> fc(6->1). Its forward feeds fc [h_n forward (step T-1), h_n "
               "reverse (step 0)], which is y at no step: y[t] here is fc(output[t]) as for "
               "every model (output[T-1] holds the reverse pass after one step)"),
    Case("hybrid_gru_lstm", lambda: GRULSTMHybrid(3, 7, 5, 2), file="hybrid_gru_lstm.pth",
         save="state_dict", seed=109, steps=8, recurrent=["gru", "lstm"], head="out",
         about="hybrid stack: gru = GRU(3,7) -> lstm = LSTM(7,5) -> out(5->2); sizes chain only "
               "gru -> lstm (lstm -> gru would need 5 = 3)"),
    Case("hybrid_declared_backwards", lambda: LSTMGRUHybridDeclaredBackwards(4, 6, 3, 2),
         file="hybrid_declared_backwards.pth", save="checkpoint", checkpoint_key="state_dict",
         optimizer="sgd", train_steps=2, seed=110, steps=6, recurrent=["lstm", "gru"], head="fc",
         about="hybrid declared gru = GRU(6,3) before lstm = LSTM(4,6, 2 layers); data flows "
               "lstm -> gru -> fc(3->2), the only order the sizes chain in (gru -> lstm would "
               "need 3 = 4); checkpoint dict {epoch, arch, state_dict, best_acc1, optimizer "
               "(SGD momentum)}"),
    Case("head_linear", lambda: TimeSeriesLSTM(1, 6, 1), file="head_linear.pth",
         save="checkpoint", checkpoint_key="net", seed=111, steps=9, recurrent=["lstm"],
         head="linear",
         about="time-series forecaster LSTM(1,6) -> linear(6->1), one input feature; "
               "checkpoint dict {net, acc, epoch}"),
    Case("head_classifier", lambda: GRUTextClassifier(16, 5, 4, 3, bias=False),
         file="head_classifier.safetensors", save="safetensors", seed=112, steps=6,
         embedding="embedding", recurrent=["gru"], head="classifier", forward_gives="y_last",
         about="Embedding(16,5) -> GRU(5,4, bias=False) -> classifier(4->3); safetensors"),
    Case("head_h2o", lambda: CharRNN(8, 5, 4), file="head_h2o.pt", save="state_dict",
         seed=113, steps=7, recurrent=["rnn"], head="h2o", one_hot=True, forward_gives="y_last",
         about="the PyTorch name-classification tutorial: RNN(8,5) over one-hot letters -> "
               "h2o(5->4) (then LogSoftmax, which has no tensors)"),
    Case("head_decoder", lambda: RNNModel(12, 5, 5, 2, dropout=0.2), file="head_decoder.pt",
         save="whole", seed=114, steps=8, embedding="encoder", recurrent=["rnn"],
         head="decoder",
         about="the word_language_model example, saved whole as it does: encoder = "
               "Embedding(12,5) -> rnn = LSTM(5,5, 2 layers, dropout 0.2) -> decoder(5->12). "
               "E = H as in its defaults, so encoder.weight and decoder.weight are both 12 x 5: "
               "the pickled classes say which is the embedding"),
    Case("head_module_fc", lambda: SentimentLSTM(18, 3, 5, 2, num_layers=2),
         file="head_module_fc.pth", save="dataparallel", prefix="module.", seed=115, steps=6,
         embedding="embedding", recurrent=["lstm"], head="fc", forward_gives="y_last",
         about="nn.DataParallel(model).state_dict(): every key under module.; "
               "Embedding(18,3) -> LSTM(3,5, 2 layers) -> fc(5->2)"),
    Case("two_linear", **TWO_LINEAR, head="fc1",
         about="LSTM(3,6) -> fc1(6->5) -> ReLU -> fc2(5->3). Reading of the issue's rule: "
               "fc1 is the only linear layer whose input size is the recurrent output (6), so "
               "it is the head and y is fc1's output (not the class scores); fc2 takes 5 "
               "inputs, reads nothing gatescope computes, and is listed as left unused. "
               "Checkpoint dict {model, optimizer, epoch, history}"),
    Case("two_linear_no_head", **TWO_LINEAR, open_flags=["--no-head"], forward_gives="none",
         about="two_linear.pth with --no-head: no y, and fc1 and fc2 both left unused"),
    Case("two_linear_head_fc2", **TWO_LINEAR, open_flags=["--head", "fc2"],
         expect="refused: --head fc2 takes 5 inputs but the last recurrent layer gives 6",
         about="two_linear.pth with --head fc2, a linear layer that cannot read the "
               "recurrent output"),
    Case("seq2seq_ambiguous", seq2seq, file="seq2seq.pt", save="state_dict", seed=117,
         steps=0, recurrent=["encoder.rnn", "decoder.rnn"],
         expect="refused: two recurrent modules (encoder.rnn, decoder.rnn, GRU(4,6) each) "
                "whose sizes do not chain (6 outputs, 4 inputs); the error lists them and "
                "names --prefix",
         about="seq2seq state_dict: encoder.{embedding,rnn}, decoder.{embedding,rnn,out}"),
    Case("seq2seq_encoder", seq2seq, file="seq2seq.pt", save="state_dict", seed=117,
         steps=7, open_flags=["--prefix", "encoder"], embedding="encoder.embedding",
         recurrent=["encoder.rnn"], forward_of="encoder", forward_gives="h_every",
         about="seq2seq with --prefix encoder: Embedding(11,4) -> GRU(4,6), no head; every "
               "decoder.* tensor is unused"),
    Case("seq2seq_prefix_missing", seq2seq, file="seq2seq.pt", save="state_dict", seed=117,
         steps=0, open_flags=["--prefix", "attention"], recurrent=["encoder.rnn", "decoder.rnn"],
         expect="refused: no tensors under the prefix attention; the error lists the "
                "recurrent modules there are (encoder.rnn, decoder.rnn)",
         about="seq2seq.pt with --prefix naming no module"),
    Case("seq2seq_decoder", seq2seq, file="seq2seq.pt", save="state_dict", seed=117,
         steps=6, open_flags=["--prefix", "decoder"], embedding="decoder.embedding",
         recurrent=["decoder.rnn"], head="decoder.out", forward_of="decoder",
         about="seq2seq with --prefix decoder: Embedding(9,4) -> GRU(4,6) -> out(6->9), from "
               "a zero state (in translation the encoder's last h would start it)"),
    Case("lstm_l3_nobias", lambda: StackedLSTM(3, 4, 3, 2), file="lstm_l3_nobias.pt",
         save="state_dict", seed=118, steps=6, recurrent=["lstm"], head="fc",
         about="LSTM(3,4, 3 layers, bias=False) -> fc(4->2, bias=False)"),
    Case("gru_dropout", lambda: DropoutGRU(4, 5, 3), file="gru_dropout.pt", save="whole",
         seed=119, steps=7, recurrent=["gru"], head="fc", train_steps=2,
         about="GRU(4,5, 2 layers, dropout=0.3) -> fc(5->3), pickled whole in training mode "
               "(training=True, dropout 0.3 in the file): the weights are all that count, the "
               "trace is model.eval()'s, without dropout"),
    Case("rnn_relu", lambda: ReluRNN(3, 5, 2), file="rnn_relu.pt", save="whole", seed=120,
         steps=8, recurrent=["rnn"], head="fc",
         about="RNN(3,5, 2 layers, nonlinearity='relu') -> fc(5->2), pickled whole: only the "
               "pickle says relu (a state_dict would be read as tanh); h = relu(...)"),
    Case("hybrid_same_width", lambda: TwoRNNs(5, 2), file="hybrid_same_width.pt",
         save="state_dict", seed=122, steps=0, recurrent=["gru", "lstm"],
         expect="refused: two recurrent modules (gru GRU(5,5), lstm LSTM(5,5)) whose sizes "
                "chain in both orders; the error lists them and names --prefix",
         about="gru = GRU(5,5), lstm = LSTM(5,5), fc(5->2) as a state_dict: nothing says "
               "which runs first"),
    Case("hybrid_same_width_whole", lambda: TwoRNNs(5, 2), file="hybrid_same_width_whole.pt",
         save="whole", seed=122, steps=6, recurrent=["gru", "lstm"], head="fc",
         about="the same model pickled whole: the sizes chain in both orders, the module's "
               "declaration order (gru, then lstm) decides, and it is the data flow"),
    Case("gru_half", lambda: BiGRUClassifier(3, 4, 2), file="gru_half.pt", save="state_dict",
         dtype="float16", seed=123, steps=6, recurrent=["gru"], head="fc",
         forward_gives="y_last",
         about="bidirectional GRU(3,4) -> fc(8->2); model.half() then "
               "torch.save(model.state_dict()): HalfStorage tensors; the trace is float32 from "
               "the float16 weights"),
    Case("lstm_double", lambda: TimeSeriesLSTM(2, 4, 1), file="lstm_double.pth",
         save="state_dict", dtype="float64", train_steps=2, seed=124, steps=6,
         recurrent=["lstm"], head="linear",
         about="LSTM(2,4) -> linear(4->1); model.double(), trained in float64: DoubleStorage tensors that are not "
               "float32 numbers; the trace is float32 from the weights rounded to float32"),
    Case("legacy_format", lambda: TimeSeriesLSTM(1, 3, 1), file="legacy_format.pt",
         save="legacy", seed=125, steps=0, recurrent=["lstm"],
         expect="refused: the PyTorch < 1.6 torch.save format (a bare pickle stream, no zip); "
                "the error says to load it in PyTorch and save it again with torch.save",
         about="torch.save(..., _use_new_zipfile_serialization=False), storage keys "
               "normalised to counters so that the file is reproducible"),
    Case("bilstm_proj", lambda: ProjectedLSTM(3, 5, 2, 1, 3, bidirectional=True),
         file="bilstm_proj.pt", save="state_dict", seed=121, steps=5, recurrent=["lstm"],
         head="fc",
         about="bidirectional LSTM(3,5, proj_size=2): output[t] = [W_hr (o*tanh c) forward, "
               "reverse], 4 wide -> fc(4->3)"),
]


# ---------------------------------------------------------------------------------------
# Saving.

def save_model(case, model, optimizer, loss):
    """Writes the case's file the way the student's script would."""
    path = OUT / case.file
    if case.save == "state_dict":
        torch.save(model.state_dict(), path)
    elif case.save == "dataparallel":
        torch.save(dataparallel_state(model), path)
    elif case.save == "whole":
        torch.save(model, path)
    elif case.save == "safetensors":
        save_file(model.state_dict(), path)
        sort_metadata(path)
    elif case.save == "legacy":
        torch.save(model.state_dict(), path, _use_new_zipfile_serialization=False)
        normalise_legacy_keys(path)
    elif case.save == "checkpoint":
        torch.save(CHECKPOINTS[case.checkpoint_key](model, optimizer, loss), path)
    else:
        raise ValueError(case.save)
    assert_holds(case, model)
    # What the file holds beyond the weights, for the case's document.
    facts = {}
    if case.save == "checkpoint":
        reloaded = torch.load(path, weights_only=True)
        facts["checkpoint"] = {"keys": list(reloaded), "state_dict_key": case.checkpoint_key}
    if case.save == "whole":
        facts["pickled_modules"] = pickled_modules(model)
    return facts


def assert_holds(case, model):
    """Reads the case's file back as a student would: it must hold exactly the model's
    weights (keys without the DataParallel prefix)."""
    path = OUT / case.file
    if case.save == "safetensors":
        state = load_file(path)
    elif case.save == "whole":
        state = torch.load(path, weights_only=False).state_dict()
    else:
        state = torch.load(path, weights_only=True)
    if case.save == "checkpoint":
        state = state[case.checkpoint_key]
    state = {k.removeprefix(case.prefix): v for k, v in state.items()}
    assert state.keys() == model.state_dict().keys() and \
        all(torch.equal(state[k], v) for k, v in model.state_dict().items()), case.name


def normalise_legacy_keys(path):
    """The pre-1.6 format names each storage by its memory address, different every run.
    Its stream is: magic number, protocol, system info, the object's pickle (storages as
    persistent ids holding the key), the key list, then each storage in the list's order
    (element count as int64, then the bytes; no key). The keys become counters of the same
    length in order of first use, and the list and the storages follow that order, as
    torch.save would have written them had the addresses been increasing."""
    data = path.read_bytes()
    stream = io.BytesIO(data)
    for _ in range(3):
        pickle.load(stream)
    # The object's pickle, walked up to its STOP: every string it holds, in order.
    strings = [arg for op, arg, _ in pickletools.genops(stream) if op.name == "BINUNICODE"]
    list_start = stream.tell()
    keys = pickle.load(stream)
    assert b"Storage" in data and data.count(b"Storage") == data.count(b"FloatStorage"), \
        "only float32 storages: 4 bytes an element"
    records, offset = {}, stream.tell()
    for key in keys:
        count = int.from_bytes(data[offset:offset + 8], "little")
        records[key] = data[offset:offset + 8 + 4 * count]
        offset += 8 + 4 * count
    assert offset == len(data)
    used = list(dict.fromkeys(text for text in strings if text in records))
    assert sorted(used) == sorted(keys) and len({len(k) for k in keys}) == 1
    head = data[:list_start]
    pickled = lambda text: b"X" + len(text).to_bytes(4, "little") + text.encode()
    counters = [f"{n:0{len(key)}d}" for n, key in enumerate(used)]
    for key, counter in zip(used, counters):
        assert head.count(pickled(key)) == 1, key
        head = head.replace(pickled(key), pickled(counter))
    body = b"".join(records[key] for key in used)
    path.write_bytes(head + pickle.dumps(counters, protocol=2) + body)


# Training checkpoints as tutorials and repositories write them, by the key of the weights.
CHECKPOINTS = {
    # PyTorch's "saving and loading a general checkpoint" recipe; loss is the loss tensor.
    "model_state_dict": lambda model, optimizer, loss: {
        "epoch": 5, "model_state_dict": model.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(), "loss": loss},
    # The ImageNet example's save_checkpoint.
    "state_dict": lambda model, optimizer, loss: {
        "epoch": 5, "arch": "lstm_gru", "state_dict": model.state_dict(),
        "best_acc1": 61.25, "optimizer": optimizer.state_dict()},
    # kuangliu/pytorch-cifar style: {'net', 'acc', 'epoch'}.
    "net": lambda model, optimizer, loss: {"net": model.state_dict(), "acc": 87.5, "epoch": 12},
    "model": lambda model, optimizer, loss: {
        "model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3,
        "history": {"train_loss": [1.25, 0.75, 0.5]}},
}


# Attributes of a pickled module that say how to run it (as its __dict__ holds them).
PICKLED_ATTRIBUTES = ["training", "mode", "input_size", "hidden_size", "num_layers", "bias",
                      "batch_first", "dropout", "bidirectional", "proj_size", "nonlinearity",
                      "num_embeddings", "embedding_dim", "padding_idx", "in_features",
                      "out_features", "p"]


def pickled_modules(model):
    """The module tree a whole pickled model carries: path, class and the attributes above
    that its __dict__ holds, in declaration order."""
    return [{"path": path, "class": f"{type(m).__module__}.{type(m).__qualname__}",
             "attributes": {name: vars(m)[name] for name in PICKLED_ATTRIBUTES
                            if name in vars(m)}}
            for path, m in model.named_modules()]


# Training batches: 4 sequences of this length (whatever the traced length, so that cases
# sharing a file get the same weights).
TRAIN_LENGTH = 8


def train(model, case, optimizer, tokens_vocab):
    """A few optimizer steps on random data, so the file holds trained weights and optimizer
    state; returns the last loss (a tensor, as tutorials save it)."""
    loss = None
    for _ in range(case.train_steps):
        if tokens_vocab:
            inputs = torch.randint(1, tokens_vocab, (4, TRAIN_LENGTH))
        else:
            inputs = torch.randn(4, TRAIN_LENGTH, input_size_of(model, case))
            inputs = inputs.to(next(model.parameters()).dtype)
        prediction = model(inputs.transpose(0, 1) if getattr(model, "SEQ_FIRST", False) else inputs)
        loss = prediction.pow(2).mean() + prediction.mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss


def input_size_of(model, case):
    """Features per step entering the first recurrent layer."""
    return model.get_submodule(case.recurrent[0]).input_size


# ---------------------------------------------------------------------------------------
# The expected trace.

def layer_of(name):
    """k of a module parameter named like weight_ih_l{k} or bias_hh_l{k}_reverse."""
    return int(name.split("_l")[1].split("_")[0])


def stack_entry(module, input_size, names, tensor_prefix):
    """One layer as the document's `stack` lists it (module, or cell: one direction, no
    projection), with the file names of the tensors it uses."""
    kind = KINDS[type(module)]
    entry = {"cell": kind, "input_size": input_size, "hidden_size": module.hidden_size,
             "bidirectional": getattr(module, "bidirectional", False),
             "proj_size": getattr(module, "proj_size", 0)}
    if kind == "rnn":
        entry["nonlinearity"] = module.nonlinearity
    entry["tensors"] = [tensor_prefix + name for name in names]
    return entry


def layer_weights(module, suffix):
    """(W_ih, W_hh, b_ih, b_hh) and W_hr (None without projection) for one layer direction;
    suffix is `_l{k}` or `_l{k}_reverse` for modules, empty for cells."""
    get = lambda name: getattr(module, f"{name}{suffix}", None)
    return (get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")), get("weight_hr")


def module_kwargs(module, num_layers):
    """Constructor arguments of a copy of `module` with num_layers layers and no dropout."""
    kwargs = dict(input_size=module.input_size, hidden_size=module.hidden_size,
                  num_layers=num_layers, bias=module.bias, bidirectional=module.bidirectional)
    if isinstance(module, nn.LSTM):
        kwargs["proj_size"] = module.proj_size
    if isinstance(module, nn.RNN):
        kwargs["nonlinearity"] = module.nonlinearity
    return kwargs


def truncated_outputs(module, inp):
    """output[t] of the module cut after each layer k (same weights): layer k's outputs,
    both directions side by side. The last one is the module's own output."""
    L = module.num_layers
    batched = inp.unsqueeze(0) if module.batch_first else inp.unsqueeze(1)
    full, state = module(batched)
    full = full[0] if module.batch_first else full[:, 0]
    outputs = []
    for k in range(L - 1):
        cut = type(module)(**module_kwargs(module, k + 1))
        cut.load_state_dict({n: v for n, v in module.state_dict().items()
                             if layer_of(n) <= k}, strict=True)
        outputs.append(cut(inp.unsqueeze(1))[0][:, 0])
    outputs.append(full)
    return outputs, state


def stepped_direction(module, k, reverse, inp):
    """h and c of layer k, one direction, from a one-layer one-direction copy stepped over the
    sequence (from the end for the reverse pass), indexed by t."""
    kwargs = module_kwargs(module, 1)
    kwargs.update(input_size=inp.shape[1], bidirectional=False)
    one = type(module)(**kwargs)
    suffix = f"_l{k}" + ("_reverse" if reverse else "")
    one.load_state_dict({n: getattr(module, n.replace("_l0", suffix)) for n, _ in
                         one.named_parameters()}, strict=True)
    T = inp.shape[0]
    hs, cs = [None] * T, [None] * T
    state = None
    for t in (reversed(range(T)) if reverse else range(T)):
        _, state = one(inp[t].view(1, 1, -1), state)
        if isinstance(state, tuple):
            hs[t], cs[t] = state[0][0, 0], state[1][0, 0]
        else:
            hs[t] = state[0, 0]
    return hs, cs


def recompute(kind, weights, w_hr, inp, hs, cs, reverse, activation):
    """Every step of one layer direction with torch ops, each step starting from the module's
    own previous state; returns the per-step entries and the worst miss of h and c."""
    T = inp.shape[0]
    order = list(reversed(range(T))) if reverse else list(range(T))
    out_width = hs[0].shape[0]
    H = weights[1].shape[0] // {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    entries, worst = [None] * T, 0.0
    for n, t in enumerate(order):
        prev = order[n - 1] if n else None
        h_prev = hs[prev] if prev is not None else torch.zeros(out_width)
        c_prev = (cs[prev] if prev is not None else torch.zeros(H)) if kind == "lstm" else None
        pre, gates, c_new, h_raw = cell_step(kind, weights, inp[t], h_prev, c_prev, activation)
        h_new = F.linear(h_raw, w_hr) if w_hr is not None else h_raw
        worst = max(worst, (h_new - hs[t]).abs().max().item())
        entry = {"gates": {g: f32_list(gates[g]) for g in GATES[kind]}}
        if kind == "lstm":
            worst = max(worst, (c_new - cs[t]).abs().max().item())
            entry["c"] = f32_list(cs[t])
        entry["h"] = f32_list(hs[t])
        if w_hr is not None:
            entry["h_before_projection"] = f32_list(h_raw)
        entry["preactivations"] = f32_list(pre)
        entries[t] = entry
    return entries, worst


def close(a, b, what):
    gap = (a - b).abs().max().item()
    assert gap <= MODULE_TOLERANCE, f"{what}: {gap}"


def trace_module(path, module, prefix, inp):
    """Layers of an nn.LSTM / nn.GRU / nn.RNN: (stack entries, per-layer per-step entries,
    output sequence, worst gate miss)."""
    kind = KINDS[type(module)]
    D = 2 if module.bidirectional else 1
    P = getattr(module, "proj_size", 0)
    out_width = P or module.hidden_size
    activation = ACTIVATIONS[getattr(module, "nonlinearity", "tanh")]
    outputs, final = truncated_outputs(module, inp)
    h_n, c_n = final if kind == "lstm" else (final, None)
    stack, layers, worst = [], [], 0.0
    layer_in = inp
    for k, out in enumerate(outputs):
        per_direction = []
        for d in range(D):
            hs = [out[t, d * out_width:(d + 1) * out_width] for t in range(inp.shape[0])]
            stepped_h, cs = stepped_direction(module, k, d == 1, layer_in)
            for t, h in enumerate(hs):
                close(stepped_h[t], h, f"{path} layer {k} direction {d} step {t}: stepped copy")
            last = 0 if d else -1
            close(h_n[k * D + d, 0], hs[last], f"{path} layer {k} direction {d}: h_n")
            if c_n is not None:
                close(c_n[k * D + d, 0], cs[last], f"{path} layer {k} direction {d}: c_n")
            weights, w_hr = layer_weights(module, f"_l{k}" + ("_reverse" if d else ""))
            entries, miss = recompute(kind, weights, w_hr, layer_in, hs, cs, d == 1, activation)
            worst = max(worst, miss)
            per_direction.append(entries)
        if D == 2:
            for forward, backward in zip(*per_direction):
                forward["reverse"] = backward
        layers.append(per_direction[0])
        names = [n for n, _ in module.named_parameters() if layer_of(n) == k]
        stack.append(stack_entry(module, layer_in.shape[1], names, f"{prefix}{path}."))
        layer_in = out
    return stack, layers, layer_in, worst


def trace_cell(path, cell, prefix, inp):
    """An nn.*Cell stepped as the model's loop steps it: the same four results."""
    kind = KINDS[type(cell)]
    H = cell.hidden_size
    h, c = torch.zeros(1, H), torch.zeros(1, H)
    hs, cs = [], []
    for t in range(inp.shape[0]):
        if kind == "lstm":
            h, c = cell(inp[t:t + 1], (h, c))
            cs.append(c[0])
        else:
            h = cell(inp[t:t + 1], h)
        hs.append(h[0])
    activation = ACTIVATIONS[getattr(cell, "nonlinearity", "tanh")]
    weights, _ = layer_weights(cell, "")
    entries, worst = recompute(kind, weights, None, inp, hs, cs, False, activation)
    names = [n for n, _ in cell.named_parameters()]
    entry = stack_entry(cell, cell.input_size, names, f"{prefix}{path}.")
    return [entry], [entries], torch.stack(hs), worst


def model_input(model, x, tokens):
    """The sequence as the model's own forward takes it (a batch of one)."""
    data = tokens if tokens is not None else x
    return data.unsqueeze(1) if getattr(model, "SEQ_FIRST", False) else data.unsqueeze(0)


def check_forward(model, case, x, tokens, ys, top, head):
    """The model's own forward must give what the trace says (y at every step or at the last,
    the hidden states, or the head on both passes' last states)."""
    if case.forward_gives == "none":
        return
    model = model.get_submodule(case.forward_of)
    got = model(model_input(model, x, tokens))
    seq_first = getattr(model, "SEQ_FIRST", False)
    if case.forward_gives == "y_last":
        close(got[0], ys[-1], f"{case.name}: model(x) against y at the last step")
        return
    if case.forward_gives == "y_of_ends":
        width = top.shape[1] // 2
        ends = torch.cat([top[-1, :width], top[0, width:]])
        close(got[0], head(ends), f"{case.name}: model(x) against the head on the last states")
        return
    got = got[:, 0] if seq_first else got[0]
    want = ys if case.forward_gives == "y_every" else top
    close(got, want, f"{case.name}: model(x) against the trace")


def trace_case(case, model):
    """The whole expected document of a case (without `file` bookkeeping) and its check."""
    torch.manual_seed(case.seed + 1000)
    embedding = model.get_submodule(case.embedding) if case.embedding else None
    if case.text:
        tokens = torch.tensor([VOCABULARY.index(word) for word in case.text.split()])
        assert len(tokens) == case.steps
        x = embedding(tokens)
    elif embedding is not None:
        V = embedding.num_embeddings
        tokens = torch.randint(1, V, (case.steps,))
        if case.pads:
            tokens[-case.pads:] = 0
        x = embedding(tokens)
    elif case.one_hot:
        tokens = None
        I = input_size_of(model, case)
        x = F.one_hot(torch.randint(I, (case.steps,)), I).float()
    else:
        tokens = None
        x = torch.randn(case.steps, input_size_of(model, case))
    stack, per_layer, worst, inp = [], [], 0.0, x
    for path in case.recurrent:
        module = model.get_submodule(path)
        tracer = trace_cell if isinstance(module, nn.RNNCellBase) else trace_module
        entries, layers, inp, miss = tracer(path, module, case.prefix, inp)
        stack += entries
        per_layer += layers
        worst = max(worst, miss)
    assert worst < GATE_TOLERANCE, f"{case.name}: recomputed gates miss by {worst}"
    head = model.get_submodule(case.head) if case.head else None
    ys = head(inp) if head is not None else None
    check_forward(model, case, x, tokens, ys, inp, head)

    steps = []
    for t in range(case.steps):
        step = {"t": t, "x": f32_list(x[t])}
        if tokens is not None:
            step["token"] = int(tokens[t])
        if case.text:
            step["text_token"] = VOCABULARY[tokens[t]]
        step["layers"] = [layer[t] for layer in per_layer]
        if ys is not None:
            step["y"] = f32_list(ys[t])
        steps.append(step)
    kinds = {entry["cell"] for entry in stack}
    used = {name for entry in stack for name in entry["tensors"]}
    doc = {
        "cell": kinds.pop() if len(kinds) == 1 else "hybrid",
        "embedding": None if embedding is None else {
            "vocab_size": embedding.num_embeddings, "dim": embedding.embedding_dim,
            "weight": f"{case.prefix}{case.embedding}.weight"},
        "stack": stack,
        "head": None if head is None else {
            "weight": f"{case.prefix}{case.head}.weight",
            "bias": f"{case.prefix}{case.head}.bias" if head.bias is not None else None,
            "input_size": head.in_features, "output_size": head.out_features},
        "tokens": None if tokens is None else [int(v) for v in tokens],
    }
    if embedding is not None:
        used.add(doc["embedding"]["weight"])
    if head is not None:
        used |= {doc["head"]["weight"], doc["head"]["bias"]} - {None}
    doc["unused"] = [f"{case.prefix}{k}" for k in model.state_dict()
                     if f"{case.prefix}{k}" not in used]
    doc["steps"] = steps
    return doc, f"gates reproduce module states within {worst:.1e}"


def file_state(doc):
    """The file's state_dict, found the way the document says (format, checkpoint key)."""
    path = OUT / doc["file"]
    if doc["format"] == "safetensors":
        return load_file(path)
    if doc["format"] == "whole":
        return torch.load(path, weights_only=False).state_dict()
    state = torch.load(path, weights_only=True)
    return state[doc["checkpoint"]["state_dict_key"]] if "checkpoint" in doc else state


def replay(doc):
    """Recomputes a document's steps in float64 from its file and its own description alone
    (embedding, each stack entry's tensors, head), as gatescope is to read them: the tensor
    names, directions, concatenations and head of the JSON must give its numbers. Returns
    the worst difference, asserted below the Swift tests' 1e-5."""
    state = {k: v.double() for k, v in file_state(doc).items()}
    steps = doc["steps"]
    T = len(steps)
    worst = 0.0

    def compare(got, want):
        nonlocal worst
        worst = max(worst, (got - torch.tensor(want, dtype=torch.float64)).abs().max().item())

    if doc["embedding"] is not None:
        inp = state[doc["embedding"]["weight"]][torch.tensor(doc["tokens"])]
        assert [s["token"] for s in steps] == doc["tokens"]
    else:
        inp = torch.tensor([s["x"] for s in steps], dtype=torch.float64)
    for t in range(T):
        compare(inp[t], steps[t]["x"])
    for k, layer in enumerate(doc["stack"]):
        outputs = []
        for reverse in ([False, True] if layer["bidirectional"] else [False]):
            # Each tensor's role from its name: weight_ih[_l0][_reverse] → weight_ih.
            roles = {name.rsplit(".", 1)[1].split("_l")[0]: state[name] for name in layer["tensors"]
                     if name.endswith("_reverse") == reverse}
            weights = tuple(roles.get(role) for role in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
            H, width = layer["hidden_size"], layer["proj_size"] or layer["hidden_size"]
            h, c = torch.zeros(width, dtype=torch.float64), torch.zeros(H, dtype=torch.float64)
            hs = [None] * T
            for t in (reversed(range(T)) if reverse else range(T)):
                _, _, c, h = cell_step(layer["cell"], weights, inp[t], h, c,
                                       ACTIVATIONS[layer.get("nonlinearity", "tanh")])
                entry = steps[t]["layers"][k]
                entry = entry["reverse"] if reverse else entry
                if "weight_hr" in roles:
                    compare(h, entry["h_before_projection"])
                    h = F.linear(h, roles["weight_hr"])
                compare(h, entry["h"])
                if layer["cell"] == "lstm":
                    compare(c, entry["c"])
                hs[t] = h
            outputs.append(torch.stack(hs))
        inp = torch.cat(outputs, dim=1)
    if doc["head"] is not None:
        bias = state[doc["head"]["bias"]] if doc["head"]["bias"] else None
        ys = F.linear(inp, state[doc["head"]["weight"]], bias)
        for t in range(T):
            compare(ys[t], steps[t]["y"])
    else:
        assert all("y" not in s for s in steps)
    assert worst < 1e-5, f"{doc['file']}: the document replays only within {worst}"
    return worst


def make_case(case, written):
    torch.manual_seed(case.seed)
    model = case.build()
    vocab = model.get_submodule(case.embedding).num_embeddings if case.embedding else 0
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05) if case.optimizer == "adam" \
        else torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    # A float64 model is trained in float64; a float16 one is converted for saving.
    dtype = {"": None, "float16": torch.float16, "float64": torch.float64}[case.dtype]
    if dtype == torch.float64:
        model.to(dtype)
    loss = train(model, case, optimizer, vocab)
    if dtype is not None:
        model.to(dtype)
    if case.vocab_file:
        (OUT / case.vocab_file).write_text("\n".join(VOCABULARY) + "\n")
    if case.file not in written:
        # Saved as trained: a whole module is pickled before the eval() below.
        written[case.file] = save_model(case, model, optimizer, loss)
    else:
        # Cases sharing a file rebuild the same model: the weights must be the file's.
        assert_holds(case, model)
    # The trace runs in float32 on what the file holds: its weights rounded to float32.
    model.float()
    # Dropout is a training-time mask; gatescope, like model.eval(), runs without it.
    model.eval()
    with torch.no_grad():
        if case.expect == "opens":
            trace, check = trace_case(case, model)
        else:
            # Nothing to trace: what the refusal must name, and every key a trace has.
            trace, check = {"recurrent_modules": case.recurrent, "embedding": None,
                            "stack": [], "head": None, "tokens": None, "unused": [],
                            "steps": []}, "refusal"
    doc = {"file": case.file, "about": case.about, "format": case.save,
           "dtype": case.dtype or "float32",
           "open_flags": case.open_flags, "expect": case.expect}
    doc.update(written[case.file])
    doc.update(trace)
    if case.expect == "opens":
        check += f"; the document alone replays it within {replay(doc):.1e}"
    write_json(OUT / f"{case.name}.json", doc)
    return {"name": case.name, "file": case.file, "format": case.save, "about": case.about,
            "expect": case.expect, "check": check}


def main():
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    written = {}
    entries = [make_case(case, written) for case in CASES]
    for entry in entries:
        print(f"{entry['name']:28} {entry['file']:32} {entry['check']}")
    index = {"generated_by": "Tools/reference/make_model_fixtures.py", "torch": torch.__version__,
             "cases": entries}
    (OUT / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    sys.exit(main())
