// A small Express service used as a dockopt example.
import compression from "compression";
import express from "express";
import morgan from "morgan";

const app = express();
app.use(compression());
app.use(morgan("tiny"));
app.use(express.json());

const notes: string[] = ["remember the milk"];

app.get("/health", (_req, res) => {
  res.json({ status: "ok", notes: notes.length, node: process.version });
});

app.get("/notes", (_req, res) => {
  res.json(notes);
});

app.post("/notes", (req, res) => {
  notes.push(String(req.body.text ?? ""));
  res.status(201).json(notes);
});

const port = Number(process.env.PORT ?? 3000);
app.listen(port, () => console.log(`listening on ${port}`));
